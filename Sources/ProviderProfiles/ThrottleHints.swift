/// How the provider says "slow down", for logs and back-off.
public struct ThrottleHints: Sendable, Equatable {
    /// Regular expressions matching server texts that ask for back-off; a first capture group,
    /// if any, is the suggested delay in milliseconds. Informative: validated, not yet acted on.
    public var backoffPatterns: [String]

    public init(backoffPatterns: [String] = []) {
        self.backoffPatterns = backoffPatterns
    }
}
