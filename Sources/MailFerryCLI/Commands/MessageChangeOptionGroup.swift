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

    func validate() throws {
        _ = try headerFields()
    }

    /// The transforms asked for, in order (repair is added by the engine for sinks that need it).
    func transforms() throws -> [any MessageTransform] {
        let fields = try headerFields()
        return fields.isEmpty ? [] : [try HeaderAddTransform(fields: fields)]
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
