import Foundation
import MailCore

/// Adds header fields at the top of every message (`--add-header 'X-Migrated-From: …'`), only
/// when asked: by default MailFerry never changes a message's bytes. `{folder}` in a value
/// becomes the source folder's name.
public struct HeaderAddTransform: MessageTransform {
    public let fields: [(name: String, value: String)]
    public var name: String { "add-header" }

    /// Checks the fields: a name of printable ASCII without `:` or spaces, a value without
    /// line breaks. Non-ASCII values are encoded per RFC 2047.
    public init(fields: [(name: String, value: String)]) throws {
        for field in fields {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ":") }) else {
                throw MailError(.unsupported, scope: .store, retry: .never, "`\(field.name)` is not a header field name")
            }
            guard !field.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw MailError(.unsupported, scope: .store, retry: .never, "the value of header \(field.name) has a line break")
            }
        }
        self.fields = fields
    }

    public func apply(to envelope: MessageEnvelope) throws -> TransformOutcome {
        let prefix = try envelope.data.prefix(4096)
        let lineBreak: [UInt8] = prefix.withUnsafeBytes { LineEndings.detect($0) } == .lf ? [0x0a] : [0x0d, 0x0a]
        var header: [UInt8] = []
        for field in fields {
            let value = field.value.replacingOccurrences(of: "{folder}", with: envelope.folder.displayName)
            header += Array(HeaderEncoding.field(name: field.name, value: value).joined(separator: lineBreak)) + lineBreak
        }
        let spool = MessageSpool(expectedSize: envelope.size + header.count)
        try spool.append(header)
        try envelope.data.forEachChunk { try spool.append($0) }
        let (data, fingerprint) = try spool.finish()
        var changed = envelope
        changed.data = data
        changed.fingerprint = fingerprint
        return TransformOutcome(envelope: changed, changes: fields.map { "\($0.name) added" })
    }
}
