import Foundation

extension FakeIMAPServer {
    /// A command as the interceptor sees it, before the server acts on it.
    public struct Request: Sendable, Hashable {
        /// 1-based number of the connection, in accept order.
        public var connection: Int
        public var tag: String
        /// Uppercased command name, with `UID ` for UID commands (`UID FETCH`, `APPEND`).
        public var command: String
        /// The command's first line, without CRLF (up to its first literal).
        public var line: String
        /// How many commands of this name the server has received so far, this one included.
        public var occurrence: Int
    }

    /// What to do with an intercepted command.
    public enum Interception: Sendable, Hashable {
        /// Handle it normally.
        case proceed
        /// Send these raw bytes instead (CRLFs included), `{tag}` replaced by the command's tag.
        /// An APPEND's literal is consumed first (or the reply replaces the `+` of a
        /// synchronizing literal), so the connection stays in step.
        case reply(String)
        /// Send `* BYE text` and close the connection.
        case bye(String)
        /// Wait this many seconds (at most 60), then handle it normally.
        case delay(Double)
    }

    /// One command line the server received.
    public struct LoggedCommand: Sendable, Hashable {
        public var connection: Int
        /// The command with each literal's bytes replaced by its `{size}`, lines joined.
        public var line: String
    }
}
