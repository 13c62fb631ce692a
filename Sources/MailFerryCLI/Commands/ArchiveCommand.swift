import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailArchive
import MailCore
import Stores

/// `mailferry archive SOURCE --older-than 365d --to DIR`: moves old mail into a new compressed
/// archive volume per run, remembering what earlier runs archived.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Archive mail older than a cutoff into a new compressed archive volume.",
        discussion: """
            Reads every (selected) folder of SOURCE and writes the messages that arrived before \
            the cutoff into a new archive in DIR — a Maildir tree plus manifest.jsonl, so any \
            tar or unzip opens it and `mailferry copy archive:FILE …` restores it exactly. The \
            checkpoint remembers what earlier runs archived: each run writes only what is new, \
            and a run with nothing to archive writes no file.

            Unread and flagged messages stay where they are unless --include-unread / \
            --include-flagged. The source is not changed unless --delete-from-source: then only \
            messages whose archive was completed, fsynced, read back and verified against its \
            manifest are deleted (IMAP: \\\\Deleted + UID EXPUNGE; Maildir: unlink; mbox: \
            rewritten under its lock).

            Name placeholders: {date} (today, YYYY-MM-DD), {time} (HHMMSS), {cutoff} \
            (YYYY-MM-DD). A name without an archive extension gets the one of --archive-format \
            (which must agree with one it has). An existing file is never overwritten: -2, -3… is \
            added instead.

            Examples:
              mailferry archive imaps://me@mail.example.com --older-than 365d --to ~/mail-archive
              mailferry archive maildir:~/Maildir --before 2024-01-01 --to /srv/archive --name 'mail-{cutoff}.tar.xz'
              mailferry archive maildir:~/Maildir --older-than 2y --to ~/archive --delete-from-source
            """
    )

    @Argument(help: "Where to read: maildir:PATH, mbox:PATH, imaps://user@host[/folder], imap://…, pop3s://…")
    var source: String

    @Option(help: ArgumentHelp("Directory for the archive volumes (created when missing).", valueName: "dir"))
    var to: String

    @Option(help: ArgumentHelp(
        "File name of the new volume (default mail-{date}.tar.zst); the extension chooses the format, or --archive-format adds it.",
        valueName: "template"))
    var name: String?

    @Option(help: ArgumentHelp("Archive messages older than this: 365d, 52w, 12m, 2y (a number alone is days).", valueName: "age"))
    var olderThan: String?

    @Option(help: ArgumentHelp("Archive messages that arrived before this date (YYYY-MM-DD, UTC) or ISO 8601 time (2024-01-01T12:00:00+02:00).", valueName: "date"))
    var before: String?

    @ArgumentParser.Flag(help: "Also archive unread messages (kept by default).")
    var includeUnread = false

    @ArgumentParser.Flag(help: "Also archive flagged messages (kept by default).")
    var includeFlagged = false

    @ArgumentParser.Flag(help: "Delete archived messages from the source once their volume is verified.")
    var deleteFromSource = false

    @ArgumentParser.Flag(help: "With --delete-from-source on an IMAP server without UIDPLUS: expunge anyway (also removes other \\Deleted messages).")
    var forceExpunge = false

    @Option(name: .customLong("folder"), help: "Archive only folders matching this glob (repeatable).")
    var folders: [String] = []

    @Option(name: .customLong("exclude"), help: "Skip folders matching this glob (repeatable).")
    var excludes: [String] = []

    @ArgumentParser.Flag(help: "List the folders that would be read, with their sizes, and write nothing.")
    var dryRun = false

    @ArgumentParser.Flag(help: "Print the report as JSON instead of text.")
    var json = false

    @Option(help: "Also write the JSON report to this file.")
    var report: String?

    @ArgumentParser.Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    @Option(help: ArgumentHelp("The checkpoint database (default: $XDG_STATE_HOME/mailferry/jobs/<job>.sqlite).", valueName: "path"))
    var checkpoint: String?

    @Option(help: .hidden)
    var batchMessages: Int?

    @OptionGroup var storeOptions: StoreOptionGroup

    @OptionGroup(title: "Servers") var serverOptions: ServerOptionGroup

    func validate() throws {
        guard (olderThan == nil) != (before == nil) else {
            throw ValidationError("give the cutoff with exactly one of --older-than AGE and --before DATE")
        }
        if let olderThan, ArchiveSchedule.age(olderThan) == nil {
            throw ValidationError("--older-than \"\(olderThan)\" is not an age (examples: 365d, 52w, 12m, 2y)")
        }
        if let before, ArchiveSchedule.date(before) == nil {
            throw ValidationError("--before \"\(before)\" is not a date (YYYY-MM-DD) or ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +02:00)")
        }
        if let name, name.contains("/") || name.hasPrefix(".") {
            throw ValidationError("--name is a file name, without / and not hidden")
        }
        let asked = storeOptions.archiveFormat?.format
        switch (ArchiveFormat(fileName: template), asked) {
        case (nil, nil):
            throw ValidationError(
                "--name \"\(template)\" has no archive extension (.tar.zst, .tar.gz, .tar.xz, .tar.bz2, .tar, .zip); add one or give --archive-format")
        case (let named?, let asked?) where named != asked:
            throw ValidationError(
                "--name \"\(template)\" makes a .\(named) archive but --archive-format asks for .\(asked); drop the extension or make them agree")
        default: break
        }
        if forceExpunge && !deleteFromSource { throw ValidationError("--force-expunge only applies with --delete-from-source") }
    }

    /// The volume name template: `--name`, else `mail-{date}` with the `--archive-format` extension
    /// (`.tar.zst` without one).
    var template: String {
        name ?? (storeOptions.archiveFormat == nil ? "mail-{date}.tar.zst" : "mail-{date}")
    }

    func run() async throws {
        let now = Date()
        let cutoff = olderThan.flatMap { ArchiveSchedule.age($0) }.map { ArchiveSchedule.subtract($0, from: now) }
            ?? before.flatMap { ArchiveSchedule.date($0) }!
        let sourceEndpoint = try EndpointOpener.parse(source)
        let directory = StoreEndpoint.expandTilde(to)
        if case .archive = sourceEndpoint {
            Terminal.standardError("mailferry: archiving an archive is not supported; copy it instead")
            throw ExitStatus.usage.exitCode
        }
        var options = storeOptions.storeOptions
        try serverOptions.apply(to: &options)
        serverOptions.warnAboutInsecureChoices()
        let failure = FailureReport(
            source: sourceEndpoint.description, destination: "archive:\(directory)", dryRun: dryRun, json: json, file: report)
        let sourceStore = try await EndpointOpener.openSource(sourceEndpoint, options: options, failure: failure)
        if deleteFromSource && !sourceStore.capabilities.removesCopiedMessages {
            await sourceStore.close()
            Terminal.standardError("mailferry: \(sourceEndpoint) cannot delete messages after archiving them")
            throw ExitStatus.usage.exitCode
        }
        if sourceEndpoint.path.map({ StoreEndpoint.canonicalPath(directory).hasPrefix(StoreEndpoint.canonicalPath($0) + "/") }) == true {
            await sourceStore.close()
            Terminal.standardError("mailferry: the archive directory is inside the source; choose another --to")
            throw ExitStatus.usage.exitCode
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            await sourceStore.close()
            Terminal.standardError("mailferry: cannot create the archive directory \(directory): \(error.localizedDescription)")
            throw ExitStatus.storeFailure.exitCode
        }
        var store: SQLiteCheckpointStore?
        // The job is the source and the directory, not the volume: each run writes a new one.
        let identity = JobIdentity(
            source: sourceEndpoint.jobKey, destination: "archive-directory:\(StoreEndpoint.canonicalPath(directory))",
            mapping: ["command": "archive"])
        let checkpointPath = checkpoint.map { StoreEndpoint.expandTilde($0) } ?? CheckpointLocation.defaultPath(for: identity)
        if !dryRun {
            let path = checkpointPath
            do {
                store = try SQLiteCheckpointStore(path: path, identity: identity)
                if let store { options.source.budgetLedger?.attach(store) }
            } catch let error as MailError {
                await sourceStore.close()
                Terminal.standardError("mailferry: \(error.description)")
                throw ExitStatus.checkpointRefused.exitCode
            }
        }
        // One archive run per directory at a time (whatever its source): with the lock held, an
        // unfinished volume in the directory is a killed run's.
        var removedPartials: [String] = []
        var directoryLock: Int32 = -1
        if !dryRun {
            directoryLock = ArchiveSchedule.lockDirectory(directory)
            guard directoryLock >= 0 else {
                await store?.close()
                await sourceStore.close()
                Terminal.standardError(
                    "mailferry: another mailferry archive run is writing into \(directory); try again when it has finished")
                throw ExitStatus.checkpointRefused.exitCode
            }
            removedPartials = ArchiveSchedule.removeUnfinishedVolumes(in: directory)
        }
        defer { if directoryLock >= 0 { Foundation.close(directoryLock) } }
        let volumePath = ArchiveSchedule.volumePath(
            directory: directory, template: template, now: now, cutoff: cutoff, format: storeOptions.archiveFormat?.format)
        let sink: any MessageSink
        if dryRun {
            var capabilities = StoreCapabilities(maximumConcurrency: 1, updatesFlags: false)
            capabilities.durableOnClose = true
            sink = PlannedSink(displayName: "archive:\(volumePath)", capabilities: capabilities, existing: [])
        } else {
            // A new volume each run: volumes have no identity for the checkpoint to compare.
            do {
                sink = try ArchiveSink(path: volumePath, format: options.archiveFormat, periodic: true)
            } catch let error as MailError {
                await store?.close()
                await sourceStore.close()
                Terminal.standardError("mailferry: cannot open destination archive:\(volumePath): \(error.description)")
                failure.emit(error, context: "cannot open destination archive:\(volumePath)")
                throw ExitStatus.forError(error).exitCode
            }
        }

        var copyOptions = CopyOptions()
        copyOptions.dryRun = dryRun
        if dryRun {
            // The plan leaves out what earlier runs archived (read-only, without the job's lock).
            do {
                copyOptions.preview = try SQLiteCheckpointPreview(path: checkpointPath, identity: identity)
            } catch {
                Terminal.standardError("mailferry: warning: the plan does not use the checkpoint: \(error)")
            }
        }
        copyOptions.planner = CopyPlanner(
            include: folders.map(FolderPattern.init), exclude: excludes.map(FolderPattern.init), toFolder: nil,
            onlyFolder: sourceEndpoint.folder)
        copyOptions.filter = MessageFilter(before: cutoff, skipUnread: !includeUnread, skipFlagged: !includeFlagged)
        copyOptions.resume.faultPoint = FaultInjection.fromEnvironment()
        if let batchMessages, batchMessages > 0 { copyOptions.batchMessages = batchMessages }
        if deleteFromSource { copyOptions.removal = SourceRemovalPolicy(allowsPlainExpunge: forceExpunge) }
        serverOptions.applyStallWatch(to: &copyOptions, stores: options)
        let display = ProgressDisplay(enabled: !quiet && Terminal.standardErrorIsTerminal)
        let engine = CopyEngine(source: sourceStore, sink: sink, options: copyOptions, checkpoint: store) {
            display.handle($0)
        }
        var result = await engine.run()
        display.finish()
        for partial in removedPartials {
            result.notes.append("removed \(partial), an unfinished volume of an interrupted run (its messages were archived again)")
        }
        await store?.close()
        await sourceStore.close()
        if let archive = sink as? ArchiveSink {
            if !archive.recordVolume(in: &result) && result.stoppedBy == nil {
                result.notes.append("nothing to archive before \(ReportFormat.date(cutoff)); no file was written")
            }
        }
        try ReportOutput.emit(result, json: json, file: report)
        throw ExitStatus(result.outcome).exitCode
    }
}

/// Cutoffs and volume names for `mailferry archive`.
enum ArchiveSchedule {
    /// An age: a count of days, weeks, months or years.
    struct Age: Equatable {
        enum Unit: Equatable { case day, week, month, year }
        var value: Int
        var unit: Unit
    }

    /// Parses `365d`, `52w`, `12m`, `2y`, or a bare number of days.
    static func age(_ text: String) -> Age? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let unit: Age.Unit
        var digits = trimmed
        switch last {
        case "d": unit = .day
        case "w": unit = .week
        case "m": unit = .month
        case "y": unit = .year
        case "0"..."9": unit = .day
        default: return nil
        }
        if last.isLetter { digits.removeLast() }
        guard let value = Int(digits), value >= 0, value <= 100_000 else { return nil }
        return Age(value: value, unit: unit)
    }

    /// `date` less `age`, in UTC; a month or year back from the 31st lands on the month's last day.
    static func subtract(_ age: Age, from date: Date) -> Date {
        switch age.unit {
        case .day: return date.addingTimeInterval(-Double(age.value) * 86_400)
        case .week: return date.addingTimeInterval(-Double(age.value) * 7 * 86_400)
        case .month, .year:
            let (days, time) = CivilDate.parts(date)
            var (year, month, day) = CivilDate.civil(fromDays: days)
            let months = year * 12 + (month - 1) - (age.unit == .year ? 12 * age.value : age.value)
            year = months >= 0 ? months / 12 : (months - 11) / 12
            month = months - year * 12 + 1
            day = min(day, CivilDate.daysIn(month: month, year: year))
            return Date(timeIntervalSince1970: Double(CivilDate.days(year: year, month: month, day: day) * 86_400 + time))
        }
    }

    /// Parses `YYYY-MM-DD` (midnight UTC) or a full ISO 8601 time.
    static func date(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return CivilDate.iso8601Date(text) }
        return Date(timeIntervalSince1970: Double(CivilDate.days(year: year, month: month, day: day) * 86_400))
    }

    /// Takes the directory's archive lock (`.mailferry-archive.lock`, `flock`, released when the
    /// process ends); returns its descriptor, or -1 when another run holds it.
    static func lockDirectory(_ directory: String) -> Int32 {
        let fd = Foundation.open("\(directory)/.mailferry-archive.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return -1 }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Foundation.close(fd)
            return -1
        }
        return fd
    }

    /// Deletes the temporary files of volumes an interrupted run left (`.NAME.mailferry-partial`);
    /// returns their names.
    static func removeUnfinishedVolumes(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(".") && name.contains(".mailferry-partial") {
            if (try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")) != nil, name.hasSuffix(".mailferry-partial") {
                removed.append("\(directory)/\(name)")
            }
        }
        return removed
    }

    /// The path of a new volume: the template filled in, `format`'s extension added when it has
    /// none (`.tar.zst` when `format` is `nil` too), and `-2`, `-3`, … before the extension when
    /// the name is taken (an archive is never overwritten).
    static func volumePath(directory: String, template: String, now: Date, cutoff: Date, format wanted: ArchiveFormat? = nil) -> String {
        var name = template.replacingOccurrences(of: "{date}", with: CivilDate.dayText(now))
            .replacingOccurrences(of: "{time}", with: CivilDate.timeText(now))
            .replacingOccurrences(of: "{cutoff}", with: CivilDate.dayText(cutoff))
        let format: ArchiveFormat
        if let named = ArchiveFormat(fileName: name) {
            format = named
        } else {
            format = wanted ?? .tarZstd
            name += ".\(format.fileExtension)"
        }
        let lowered = name.lowercased()
        let suffix = [".\(format.fileExtension)", ".tgz", ".tzst", ".txz", ".tbz2", ".tbz"].first { lowered.hasSuffix($0) } ?? ""
        let stem = String(name.dropLast(suffix.count))
        let ending = String(name.suffix(suffix.count))
        var candidate = "\(directory)/\(name)"
        var number = 2
        while FileManager.default.fileExists(atPath: candidate)
            || FileManager.default.fileExists(atPath: "\(directory)/.\((candidate as NSString).lastPathComponent).mailferry-partial")
        {
            candidate = "\(directory)/\(stem)-\(number)\(ending)"
            number += 1
        }
        return candidate
    }
}

extension ArchiveSink {
    /// Adds the completed volume to the report; `false` when none was written.
    func recordVolume(in report: inout CopyReport) -> Bool {
        guard let summary else { return false }
        report.writtenFiles.append(
            .init(path: summary.path, messages: summary.messages, bytes: summary.bytes, fileBytes: summary.archiveBytes))
        return true
    }
}
