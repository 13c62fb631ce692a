import MailCore

/// Repairs what a strict destination (IMAP) would refuse or mangle — stray CRs and LFs, NUL
/// bytes, a missing final CRLF, raw 8-bit headers, overlong header lines — as its policy (the
/// sink's ``StoreCapabilities/requiredRepairs``, perhaps restricted) allows: for every message
/// with `--repair=always`, otherwise for what the wire or a profile requires before sending and
/// for a message the destination refused. A message that needs nothing is passed on untouched,
/// after one scan.
public struct RepairTransform: MessageTransform {
    public let policy: RepairPolicy
    public var name: String { "repair" }

    public init(policy: RepairPolicy) { self.policy = policy }

    public func apply(to envelope: MessageEnvelope) throws -> TransformOutcome {
        let findings = try MessageRepair.scan(envelope.data, policy: policy)
        var notes: [String] = []
        guard !findings.needed.isEmpty else {
            if findings.longBodyLines > 0 {
                notes.append(
                    "\(findings.longBodyLines) body line(s) over \(policy.maximumLineLength) bytes "
                        + "(longest \(findings.longestBodyLine)) sent as they are")
            }
            return TransformOutcome(envelope: envelope, notes: notes)
        }
        guard envelope.size <= MessageRepair.maximumRepairSize else {
            let needed = findings.needed.sorted().map(\.summary).joined(separator: ", ")
            return TransformOutcome(
                envelope: envelope, notes: ["too large to repair in memory (\(envelope.size) bytes); sent as it is, needing: \(needed)"])
        }
        let result = MessageRepair.repair(try envelope.data.loadAll(), policy: policy)
        let repaired = try TransformOutcome.replacing(envelope, with: result.bytes)
        return TransformOutcome(envelope: repaired, changes: result.repaired.sorted().map(\.summary), notes: result.unrepaired)
    }
}
