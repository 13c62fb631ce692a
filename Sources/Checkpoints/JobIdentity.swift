import Foundation
import MailCore

/// What makes two `mailferry copy` runs the same job: the source, the destination and everything
/// that decides which folders go where. Runs with the same identity share a checkpoint.
///
/// Built from display names, which never hold secrets, so the identity (and the checkpoint that
/// stores it) holds none either.
public struct JobIdentity: Sendable, Hashable, Codable {
    public var source: String
    public var destination: String
    /// Folder selection and mapping options, as `name=value` text, order-independent.
    public var mapping: [String: String]

    public init(source: String, destination: String, mapping: [String: String] = [:]) {
        self.source = source
        self.destination = destination
        self.mapping = mapping
    }

    /// Canonical text: one `name=value` per line, mapping sorted by name.
    public var canonicalText: String {
        var lines = ["source=\(source)", "destination=\(destination)"]
        for (name, value) in mapping.sorted(by: { $0.key < $1.key }) { lines.append("\(name)=\(value)") }
        return lines.joined(separator: "\n")
    }

    /// A short stable name: the first 16 hex digits of the SHA-256 of ``canonicalText``.
    public var id: String {
        var hasher = SHA256()
        hasher.update(Array(canonicalText.utf8))
        let digest = hasher.finalize()
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// `source → destination`, for messages.
    public var summary: String { "\(source) → \(destination)" }
}
