import Foundation

extension FakeIMAPSession {
    /// LOGIN and AUTHENTICATE (PLAIN, with or without SASL-IR; XOAUTH2 when any login is accepted).
    /// A connection over the limit gets the configured refusal instead.
    func authenticate(_ command: Command) throws -> Bool {
        if authenticated { bad(command, "Already authenticated.") ; return true }
        let arguments = try command.arguments()
        let user: String
        let password: String?
        if command.name == "LOGIN" {
            guard arguments.count == 2, let name = arguments[0].text, let secret = arguments[1].text else {
                bad(command, "Invalid arguments: LOGIN user password")
                return true
            }
            (user, password) = (name, secret)
        } else {
            guard let mechanism = arguments.first?.text?.uppercased(), arguments.count <= 2 else {
                bad(command, "Invalid arguments: AUTHENTICATE mechanism [initial-response]")
                return true
            }
            guard hasCapability("AUTH=\(mechanism)") else {
                no(command, "[CANNOT] Unsupported authentication mechanism.")
                return true
            }
            var response: String
            if arguments.count == 2, let inline = arguments[1].text {
                response = inline
            } else {
                send("+ \r\n")
                guard case .line(let line) = socket.readLine(limit: configuration.maximumLineLength) else { return false }
                response = String(decoding: line, as: UTF8.self)
            }
            if response == "*" {
                bad(command, "Authentication cancelled.")
                return true
            }
            if response == "=" { response = "" }
            guard let decoded = Data(base64Encoded: response).map({ [UInt8]($0) }) else {
                bad(command, "Invalid base64 data.")
                return true
            }
            switch mechanism {
            case "PLAIN":
                let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
                guard parts.count == 3 else {
                    bad(command, "Invalid PLAIN response.")
                    return true
                }
                (user, password) = (String(decoding: parts[1], as: UTF8.self), String(decoding: parts[2], as: UTF8.self))
            case "XOAUTH2", "OAUTHBEARER":
                let text = String(decoding: decoded, as: UTF8.self)
                let field = text.split(separator: "\u{1}").first { $0.hasPrefix("user=") || $0.hasPrefix("n,a=") }
                (user, password) = (field.map { String($0.split(separator: "=", maxSplits: 1).last ?? "") } ?? "", nil)
            default:
                no(command, "[CANNOT] Unsupported authentication mechanism.")
                return true
            }
        }
        if overLimit, case .refuseLogin(let text) = configuration.tooManyConnections {
            send("\(command.tag) \(text)\r\n")
            return true
        }
        if let credentials = configuration.credentials {
            guard let password, credentials[user] == password else {
                no(command, "[AUTHENTICATIONFAILED] Invalid credentials (Failure)")
                return true
            }
        }
        authenticated = true
        ok(command, "[\(capabilityLine)] \(user) authenticated (Success)")
        return true
    }
}
