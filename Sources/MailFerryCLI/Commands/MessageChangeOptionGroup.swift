import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailCore
import ProviderProfiles
import Stores

/// What may change on the way: repair (by default only of what an IMAP destination refuses)
/// and added headers (only when asked). `verify` takes the same options, so it compares what
/// `copy` stored.
struct MessageChangeOptionGroup: ParsableArguments {
    @Option(
        name: .customLong("repair"),
        help: ArgumentHelp(
            "When to repair NULs, stray CRs, a missing final CRLF, 8-bit headers and long header lines for an IMAP destination: on-refusal (the default: messages go byte for byte; one the server refuses is repaired as little as it needs, sent again and listed as modified; NULs are removed before sending only when the server lacks BINARY, and repairs the destination's profile declares are made before sending), always (repair every message before sending), never (send bytes exactly as they are; refused messages go to the quarantine).",
            valueName: "when"))
    var repair: String?

    @ArgumentParser.Flag(help: "The same as --repair=never.")
    var noRepair = false

    /// A profile's `[repair] before_sending` names as repairs (the decoder admits only
    /// `RepairHints.known`, which are `RepairKind`'s raw values: ``profileNamesMatchRepairKinds``).
    static func repairKinds(_ names: [String]) -> Set<RepairKind> {
        Set(names.compactMap(RepairKind.init(rawValue:)))
    }

    /// Whether every name a profile may give is a repair MailFerry knows, and the other way round.
    static var profileNamesMatchRepairKinds: Bool {
        Set(RepairHints.known) == Set(RepairKind.allCases.map(\.rawValue))
    }

    /// `--repair` (or `--no-repair`) as a mode; on-refusal when neither is given.
    func repairMode() throws -> RepairMode {
        if noRepair {
            if let repair, repair != RepairMode.never.rawValue {
                throw ValidationError("--no-repair and --repair=\(repair) contradict each other")
            }
            return .never
        }
        guard let repair else { return .onRefusal }
        guard let mode = RepairMode(rawValue: repair.lowercased()) else {
            throw ValidationError("--repair \"\(repair)\" is not one of: always, on-refusal, never")
        }
        return mode
    }

    @Option(
        name: .customLong("add-header"),
        help: ArgumentHelp("Add this header field to every message, e.g. 'X-Migrated-From: old.example.com' ({folder}: the source folder; repeatable).", valueName: "field"))
    var addHeaders: [String] = []

    @Option(
        name: .customLong("remove-header"),
        help: ArgumentHelp("Remove header fields with this name from every message; * and ? match (e.g. 'X-Spam-*'; repeatable).", valueName: "name"))
    var removeHeaders: [String] = []

    @Option(
        name: .customLong("transform-order"),
        help: ArgumentHelp("The order of the header transforms: remove-header,add-header (the default) or add-header,remove-header. Repair always comes after them.", valueName: "list"))
    var transformOrder: [String] = []

    /// The transforms a run may be asked for, by their names in `--transform-order`.
    static let transformNames = ["remove-header", "add-header"]

    func validate() throws {
        _ = try repairMode()
        _ = try headerFields()
        _ = try order()
        do {
            _ = try HeaderRemoveTransform(patterns: removeHeaders)
        } catch let error as MailError {
            throw ValidationError("--remove-header: \(error.summary)")
        }
    }

    /// `--transform-order` as names, each once (the default: remove, then add).
    func order() throws -> [String] {
        let names = transformOrder.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        guard !names.isEmpty else { return Self.transformNames }
        for name in names where !Self.transformNames.contains(name) {
            throw ValidationError(
                name == "repair"
                    ? "--transform-order: repair always runs last (it makes the final bytes acceptable to the destination)"
                    : "--transform-order: unknown transform \"\(name)\" (known: \(Self.transformNames.joined(separator: ", ")))")
        }
        guard Set(names).count == names.count else { throw ValidationError("--transform-order names a transform twice") }
        return names + Self.transformNames.filter { !names.contains($0) }
    }

    /// The transforms asked for, in order (repair is added by the engine for sinks that need it).
    func transforms() throws -> [any MessageTransform] {
        let fields = try headerFields()
        var transforms: [any MessageTransform] = []
        for name in try order() {
            switch name {
            case "remove-header" where !removeHeaders.isEmpty: transforms.append(try HeaderRemoveTransform(patterns: removeHeaders))
            case "add-header" where !fields.isEmpty: transforms.append(try HeaderAddTransform(fields: fields))
            default: break
            }
        }
        return transforms
    }

    /// `--add-header` values as name and value.
    func headerFields() throws -> [(name: String, value: String)] {
        try addHeaders.map { text in
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
                throw ValidationError("--add-header \"\(text)\" is not `Name: value`")
            }
            let name = String(text[..<colon])
            let value = text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            do {
                _ = try HeaderAddTransform(fields: [(name, String(value))])
            } catch let error as MailError {
                throw ValidationError("--add-header \"\(text)\": \(error.summary)")
            }
            return (name, String(value))
        }
    }
}

/// What happens to messages the destination would refuse: the size limit, and the quarantine.
struct RefusalOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Quarantine messages larger than this (with CRLF line endings): 20M, 35651584 (K = 1024).", valueName: "size"))
    var maxMessageSize: String?

    @Option(help: ArgumentHelp(
        "Maildir for messages the destination refuses or that are over the size limit, with the reasons in quarantine.jsonl (default: beside the checkpoint, <job>.quarantine).",
        valueName: "path"))
    var quarantine: String?

    func validate() throws {
        if let maxMessageSize, (FilterOptionGroup.size(maxMessageSize) ?? 0) < 1 {
            throw ValidationError("--max-message-size \"\(maxMessageSize)\" is not a size (examples: 20M, 35651584)")
        }
    }

    /// Sets the size limit and the quarantine; the default quarantine sits beside the
    /// checkpoint (or, without one, in the jobs directory under the job's id).
    func apply(to options: inout CopyOptions, checkpointPath: String?, identity: JobIdentity) {
        if let maxMessageSize { options.maximumMessageSize = FilterOptionGroup.size(maxMessageSize) }
        guard !options.dryRun else { return }
        let path: String
        if let quarantine {
            path = StoreEndpoint.expandTilde(quarantine)
        } else if let checkpointPath {
            path = (checkpointPath.hasSuffix(".sqlite") ? String(checkpointPath.dropLast(7)) : checkpointPath) + ".quarantine"
        } else {
            path = CheckpointLocation.jobsDirectory() + "/\(identity.id).quarantine"
        }
        options.quarantine = MaildirQuarantine(path: path)
    }
}
