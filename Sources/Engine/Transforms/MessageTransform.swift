import MailCore

/// One step between source and sink that may change a message (repair it, add a header).
/// Transforms run in order on every message the engine stores; each says what it changed, so
/// that the report lists every message whose bytes differ from the source's.
public protocol MessageTransform: Sendable {
    /// The transform's name in reports (`repair`, `add-header`).
    var name: String { get }
    /// The message to store instead of `envelope` (`envelope` itself when nothing changes). A
    /// thrown ``MailError`` fails this message only (it goes to the quarantine, when there is one).
    func apply(to envelope: MessageEnvelope) throws -> TransformOutcome
}

/// A transform's result for one message.
public struct TransformOutcome: Sendable {
    public var envelope: MessageEnvelope
    /// What was changed, for people ("NUL bytes removed"); empty when nothing was.
    public var changes: [String]
    /// What was noticed and left as it is ("1 body line over 998 bytes sent as it is").
    public var notes: [String]
    /// The destination's words when it refused the message as it was and `changes` include the
    /// repair made for that refusal; `nil` when nothing was refused.
    public var refusal: String?

    public init(envelope: MessageEnvelope, changes: [String] = [], notes: [String] = []) {
        self.envelope = envelope
        self.changes = changes
        self.notes = notes
    }

    /// `envelope` with new bytes: fingerprint and sizes follow the bytes; identity, flags and
    /// dates stay the source's.
    public static func replacing(_ envelope: MessageEnvelope, with bytes: [UInt8]) throws -> MessageEnvelope {
        let spool = MessageSpool(expectedSize: bytes.count)
        try spool.append(bytes)
        let (data, fingerprint) = try spool.finish()
        var changed = envelope
        changed.data = data
        changed.fingerprint = fingerprint
        return changed
    }
}

/// The transforms of a run, applied in order.
struct TransformPipeline: Sendable {
    let transforms: [any MessageTransform]

    /// The message to store, what changed and what was noticed, or the error of the transform
    /// that refused it.
    func apply(to envelope: MessageEnvelope) throws -> TransformOutcome {
        var result = TransformOutcome(envelope: envelope)
        for transform in transforms {
            let step = try transform.apply(to: result.envelope)
            result.envelope = step.envelope
            result.changes += step.changes
            result.notes += step.notes
        }
        return result
    }
}
