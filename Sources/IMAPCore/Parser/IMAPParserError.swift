/// Why the response parser gave up. Every limit has its own case carrying the actual and the
/// maximum size, so a hostile or broken server is reported precisely and never makes the client
/// allocate without bound.
public enum IMAPParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A response line (outside literals) longer than allowed.
    case lineTooLong(actual: Int, maximum: Int)
    /// A response, literals included, larger than allowed.
    case responseTooLarge(actual: Int, maximum: Int)
    /// A literal in a non-body position larger than allowed.
    case literalTooLarge(actual: Int, maximum: Int)
    /// A message body literal larger than allowed (checked before anything is allocated).
    case bodyTooLarge(actual: Int, maximum: Int)
    /// A literal size with too many digits.
    case literalSizeTooLong(digits: Int, maximum: Int)
    /// Parenthesised lists nested deeper than allowed.
    case nestingTooDeep(maximum: Int)
    /// Bytes that are not IMAP: what was expected, and the start of the offending response.
    case malformed(expected: String, excerpt: String)

    public var description: String {
        switch self {
        case .lineTooLong(let actual, let maximum):
            return "server response line is over \(maximum) bytes (\(actual) so far)"
        case .responseTooLarge(let actual, let maximum):
            return "server response is over \(maximum) bytes (\(actual) so far)"
        case .literalTooLarge(let actual, let maximum):
            return "server sent a \(actual)-byte literal where at most \(maximum) are allowed"
        case .bodyTooLarge(let actual, let maximum):
            return "server sent a \(actual)-byte message, over the limit of \(maximum) bytes"
        case .literalSizeTooLong(let digits, let maximum):
            return "server sent a literal size of \(digits) digits (at most \(maximum))"
        case .nestingTooDeep(let maximum):
            return "server response nests lists deeper than \(maximum)"
        case .malformed(let expected, let excerpt):
            return "malformed server response (expected \(expected)): \(excerpt)"
        }
    }
}
