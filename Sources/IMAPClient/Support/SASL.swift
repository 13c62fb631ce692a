import Foundation

/// Initial responses of the SASL mechanisms MailFerry speaks (RFC 4616 PLAIN, Google's XOAUTH2,
/// RFC 7628 OAUTHBEARER).
enum SASL {
    static func plain(username: String, password: String) -> [UInt8] {
        [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }

    static func xoauth2(username: String, token: String) -> [UInt8] {
        Array("user=\(username)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8)
    }

    static func oauthBearer(username: String, token: String, host: String, port: Int) -> [UInt8] {
        let escaped = username.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
        return Array("n,a=\(escaped),\u{1}host=\(host)\u{1}port=\(port)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8)
    }
}
