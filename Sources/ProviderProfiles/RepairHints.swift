/// What a provider is known to do with bytes other servers take: the repairs MailFerry makes
/// before sending (with the default `--repair=on-refusal`, everything else waits for a refusal).
/// Only for documented behaviour — a refusal the server does not announce, or a silent mangling
/// (a server known to replace 8-bit header bytes) — with the source in the profile's `notes`.
public struct RepairHints: Sendable, Equatable {
    /// Repair names as reports spell them (`nul`, `bare-cr`, `bare-lf`, `final-crlf`,
    /// `8bit-header`, `long-header-line`; ``RepairHints/known``).
    public var beforeSending: [String]

    /// The names `before_sending` accepts (MailCore's `RepairKind` raw values, which a test keeps equal).
    public static let known = ["bare-cr", "bare-lf", "nul", "final-crlf", "8bit-header", "long-header-line"]

    public init(beforeSending: [String] = []) {
        self.beforeSending = beforeSending
    }
}
