import IMAPClient
import IMAPCore

/// The most messages one FETCH, SEARCH, STORE, UID EXPUNGE or APPEND may touch (RFC 9738
/// MESSAGELIMIT): the server's `MESSAGELIMIT=N` or the provider profile's cap, whichever is
/// lower. Commands that would name more are split, so a server that answers only the first N
/// messages never cuts a listing short.
struct IMAPMessageLimit: Sendable, Equatable {
    /// `nil`: no limit known.
    let value: Int?

    init(_ value: Int?) { self.value = value.map { max(1, $0) } }

    init(connection: IMAPConnection, configured: Int?) {
        let announced = connection.capabilities.value(of: "MESSAGELIMIT").flatMap(Int.init)
        self.init([announced, configured].compactMap { $0 }.min())
    }

    /// `preferred`, or the limit when that is lower.
    func chunk(_ preferred: Int) -> Int { min(preferred, value ?? preferred) }

    /// Search scopes naming `uids` (sorted) at most the limit at a time (`UID set`); one empty
    /// scope (the whole folder) without a limit.
    func uidScopes(_ uids: [UInt32]) -> [[SearchArgument]] {
        guard let value else { return [[]] }
        return uids.chunked(value).map { [.key("UID"), .set(UIDSet($0))] }
    }

    /// Message-number slices covering a folder of `exists` messages, each within the limit,
    /// made as they are used; `nil` when one command may cover the whole folder.
    func slices(exists: UInt32) -> LazyMapSequence<StrideThrough<UInt32>, ClosedRange<UInt32>>? {
        guard let value, exists > UInt32(clamping: value) else { return nil }
        let step = UInt32(clamping: value)
        // `start + min(…)` never passes `exists`, so no overflow near 2^32.
        return stride(from: UInt32(1), through: exists, by: Int(step)).lazy.map { start in
            start...(start + min(step - 1, exists - start))
        }
    }
}
