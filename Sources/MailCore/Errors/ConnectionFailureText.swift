/// A failed TCP connection in plain words. The network library describes one as its own types
/// (`Connection errors: SingleConnectionFailure(target: [IPv4]127.0.0.1/127.0.0.1:1, error:
/// connection reset (error set): Connection refused (errno: 111))`); people need to read "the
/// connection was refused". The clients keep the library's text as the reason, and their error
/// descriptions pass it through ``plain(_:)``, so the mapping lives in one place and needs no
/// change to the connection code.
public enum ConnectionFailureText {
    /// The common failures by the words (or errno) the library's text holds.
    static let known: [(markers: [String], text: String)] = [
        (["Connection refused", "errno: 111)", "ECONNREFUSED"], "the connection was refused (is the server running, and is this its port?)"),
        (["DNS error", "Name or service not known", "nodename nor servname", "No address associated", "Temporary failure in name resolution"],
            "the host name could not be resolved (check its spelling and the DNS)"),
        (["connectTimeout", "Connection timed out", "errno: 110)", "connectTimeoutElapsed"], "no answer: the connection timed out (a firewall, or the wrong address?)"),
        (["Network is unreachable", "errno: 101)"], "the network is unreachable"),
        (["No route to host", "errno: 113)"], "there is no route to the host"),
        (["Connection reset", "errno: 104)"], "the connection was reset by the server"),
        (["Permission denied", "errno: 13)"], "the system did not allow the connection (permission denied)"),
    ]

    /// `reason` in plain words: a known failure's text, else the library's innermost message
    /// without its type names.
    public static func plain(_ reason: String) -> String {
        for (markers, text) in known where markers.contains(where: { reason.contains($0) }) {
            return text
        }
        // "… error: something (errno: N))": keep what follows the last "error: ".
        if reason.contains("SingleConnectionFailure") || reason.contains("NIOConnectionError"),
            let range = reason.range(of: "error: ", options: .backwards)
        {
            var inner = String(reason[range.upperBound...])
            while inner.hasSuffix(")") && inner.filter({ $0 == ")" }).count > inner.filter({ $0 == "(" }).count {
                inner.removeLast()
            }
            return inner.isEmpty ? reason : inner
        }
        return reason
    }
}
