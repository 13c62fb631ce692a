/// A generic IMAP value for data MailFerry does not interpret (BODYSTRUCTURE, ENVELOPE, unknown
/// FETCH items and extension data): kept rather than rejected.
public indirect enum IMAPValue: Sendable, Hashable {
    case atom(String)
    case number(UInt64)
    case string([UInt8])
    case `nil`
    case list([IMAPValue])
}
