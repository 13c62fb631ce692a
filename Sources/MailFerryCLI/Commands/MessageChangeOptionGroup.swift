import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailCore
import Stores

/// What may change on the way: repair (on for IMAP destinations) and added headers (only when
/// asked). `verify` takes the same options, so it compares what `copy` stored.
struct MessageChangeOptionGroup: ParsableArguments {
    @ArgumentParser.Flag(help: "Send message bytes exactly as they are: no repair of NULs, stray CRs, 8-bit headers or long header lines (IMAP destinations).")
    var noRepair = false

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
        help: ArgumentHelp("The order of the header transforms: remove-header,add-header (the default) or add-header,remove-header. Repair always runs last.", valueName: "list"))
    var transformOrder: [String] = []

    /// The transforms a run may be asked for, by their names in `--transform-order`.
    static let transformNames = ["remove-header", "add-header"]

    func validate() throws {
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
