import ArgumentParser
import Checkpoints
import Engine
import Foundation
import MailCore
import Stores

/// `mailferry copy SOURCE DEST`: copies every (selected) folder with flags, keywords and dates.
struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy mail from one store to another.",
        discussion: """
            Copies every folder of SOURCE into DEST, keeping flags, keywords and arrival dates \
            where DEST can hold them (the report lists what it could not keep). The source is \
            never modified.

            A single mbox file is one folder: copied into a Maildir it lands in INBOX, or in \
            --to-folder. Copied into a single mbox file, all folders go there flat.

            Passwords come from MAILFERRY_SOURCE_PASSWORD / MAILFERRY_DEST_PASSWORD, a password \
            file or command, or a prompt — never from the command line.

            Every run records what it copied in a checkpoint (see --checkpoint), so running the \
            same command again copies only what is new, and a run that was killed or lost its \
            connection resumes where it stopped without losing or duplicating a message. \
            `mailferry status` shows a job's progress and failures.

            Examples:
              mailferry copy mbox:~/old.mbox maildir:~/Maildir
              mailferry copy mbox:~/.thunderbird/x.default/Mail/Local\\ Folders maildir:~/Maildir --to-folder Imported
              mailferry copy maildir:~/Maildir mbox:backup.mbox.gz --folder 'Archive*'
              mailferry copy imaps://me@old.example.com imaps://me@new.example.com
              mailferry copy mbox:old.mbox imaps://me@new.example.com/Imported/2019
              mailferry copy pop3s://me@pop.example.com imaps://me@new.example.com/INBOX
              mailferry copy pop3s://me@pop.example.com maildir:~/Maildir --delete-older-than 30
              mailferry copy imaps://me@old.example.com maildir:~/Recent --since 2025-01-01 --max-size 20M

            A POP3 account is one folder (INBOX; --to-folder puts it elsewhere). Its messages \
            stay on the server unless --delete-after-copy or --delete-older-than is given; then \
            only messages whose copies are confirmed and checkpointed are deleted, and only when \
            the server accepts QUIT, so an interrupted run deletes nothing.
            """
    )

    @Argument(help: "Where to read: maildir:PATH, mbox:PATH, imaps://user@host[/folder], imap://…, pop3s://user@host or pop3://…")
    var source: String

    @Argument(help: "Where to write (created when missing): maildir:PATH, mbox:PATH, imaps://user@host[/folder] or imap://…")
    var destination: String

    @Option(name: .customLong("folder"), help: "Copy only folders matching this glob (repeatable; * any, % one level).")
    var folders: [String] = []

    @Option(name: .customLong("exclude"), help: "Skip folders matching this glob (repeatable).")
    var excludes: [String] = []

    @Option(help: "Destination folder for a single-folder source, or parent folder for a tree (use / between levels).")
    var toFolder: String?

    @ArgumentParser.Flag(help: "Show the plan (folders, message counts, bytes) of what a run would copy, filters and checkpoint applied, and write nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Store at most this many bytes per second, on average: 500K, 2M (K = 1024).", valueName: "size"))
    var maxBytesPerSecond: String?

    @ArgumentParser.Flag(help: "Print the report as JSON instead of text.")
    var json = false

    @Option(help: "Also write the JSON report to this file.")
    var report: String?

    @ArgumentParser.Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    @OptionGroup(title: "Which messages") var filterOptions: FilterOptionGroup

    @OptionGroup(title: "Folder names") var mapOptions: FolderMapOptionGroup

    @OptionGroup(title: "Gmail sources") var gmailOptions: GmailOptionGroup

    @OptionGroup(title: "Message changes") var changeOptions: MessageChangeOptionGroup

    @OptionGroup(title: "Refused messages") var refusalOptions: RefusalOptionGroup

    @OptionGroup(title: "Checkpoint and reruns") var checkpointOptions: CheckpointOptionGroup

    @OptionGroup var storeOptions: StoreOptionGroup

    @OptionGroup(title: "Servers") var serverOptions: ServerOptionGroup

    @OptionGroup(title: "POP3 sources") var pop3Options: POP3OptionGroup

    func validate() throws {
        if let maxBytesPerSecond, (FilterOptionGroup.size(maxBytesPerSecond) ?? 0) < 1 {
            throw ValidationError("--max-bytes-per-second \"\(maxBytesPerSecond)\" is not a rate (examples: 500K, 2M)")
        }
        if checkpointOptions.noCheckpoint && (pop3Options.deleteAfterCopy || pop3Options.deleteOlderThan != nil) {
            throw ValidationError(
                "--delete-after-copy and --delete-older-than need the checkpoint: it is the record that a copy is confirmed")
        }
        if let toFolder, FolderPath(parsing: toFolder, delimiter: "/") == nil {
            throw ValidationError("--to-folder \"\(toFolder)\" is not a folder name (empty level?)")
        }
    }

    func run() async throws {
        let (sourceEndpoint, sourceScheme) = try EndpointOpener.resolve(source)
        let (destinationEndpoint, destinationScheme) = try EndpointOpener.resolve(destination)
        try checkSourceOptions(sourceEndpoint, destination: destinationEndpoint)
        if sourceEndpoint.overlaps(destinationEndpoint) {
            Terminal.standardError(
                "mailferry: the source and the destination overlap (\(sourceEndpoint) and \(destinationEndpoint)); copy into another place")
            throw ExitStatus.usage.exitCode
        }
        var options = storeOptions.storeOptions
        try serverOptions.apply(to: &options)
        pop3Options.apply(to: &options)
        serverOptions.warnAboutInsecureChoices()
        let display = ProgressDisplay(enabled: !quiet && Terminal.standardErrorIsTerminal)
        let notices = ThrottleNotices(display: display, quiet: quiet)
        serverOptions.observeThrottling(&options, notices: notices)
        let catalog = try ProfileResolver.catalog()
        let sourceProfile = try ProfileResolver.profile(
            for: sourceEndpoint, named: serverOptions.sourceProfile, fromScheme: sourceScheme, catalog: catalog,
            fallback: serverOptions.profile)
        let destinationProfile = try ProfileResolver.profile(
            for: destinationEndpoint, named: serverOptions.destProfile, fromScheme: destinationScheme, catalog: catalog,
            fallback: serverOptions.profile)
        var profileNotes: [String] = []
        if let sourceProfile {
            var isPOP3 = false
            if case .pop3 = sourceEndpoint { isPOP3 = true }
            profileNotes += ProfileResolver.apply(
                sourceProfile, asSource: true, to: &options.source, userConnections: serverOptions.connections != nil, pop3: isPOP3)
        }
        if let destinationProfile {
            profileNotes += ProfileResolver.apply(
                destinationProfile, asSource: false, to: &options.destination, userConnections: serverOptions.connections != nil)
        }
        let failure = FailureReport(
            source: sourceEndpoint.description, destination: destinationEndpoint.description, dryRun: dryRun, json: json,
            file: report)
        let (sourceStore, labelPolicy) = gmailOptions.wrap(
            try await EndpointOpener.openSource(sourceEndpoint, options: options, failure: failure))
        if let policy = labelPolicy {
            profileNotes.append(
                "Gmail labels: \(policy.mode == .oneFolder ? "each message once, in the folder of its first label by priority, other labels as keywords" : "each message in the folder of every label")"
                    + "; messages without a label go to \(policy.unlabelled.displayName) (--gmail-labels)")
        }
        let removal = dryRun ? nil : pop3Options.removal()
        if removal != nil && !sourceStore.capabilities.removesCopiedMessages {
            await sourceStore.close()
            Terminal.standardError("mailferry: \(sourceEndpoint) cannot delete messages after copying (only POP3 sources can)")
            throw ExitStatus.usage.exitCode
        }
        let sinkStore: any MessageSink
        if dryRun {
            sinkStore = await PlannedSink.make(endpoint: destinationEndpoint, options: options)
        } else {
            do {
                sinkStore = try await EndpointOpener.openSink(destinationEndpoint, options: options, failure: failure)
            } catch {
                await sourceStore.close()
                throw error
            }
        }

        var copyOptions = CopyOptions()
        copyOptions.dryRun = dryRun
        let target = toFolder.flatMap { FolderPath(parsing: $0, delimiter: "/") } ?? destinationEndpoint.folder
        var folderMap = try mapOptions.folderMap()
        var skipped: [FolderSkipRule] = []
        if let sourceProfile, labelPolicy == nil {
            // Folders a provider shows twice (Gmail's All Mail, Important, Starred) are not copied,
            // unless asked for by --folder; each is listed in the report as not copied (exit 1)
            // unless the user also leaves it out with --exclude.
            let asked = Set(folders)
            skipped = sourceProfile.folders.skip.filter { !asked.contains($0) }.map {
                FolderSkipRule(
                    FolderPattern($0),
                    reason: "the \(sourceProfile.name) profile skips it, since its messages are in other folders too "
                        + "(--folder \"\($0)\" copies it; --exclude \"\($0)\" leaves it out without this line)")
            }
            if !skipped.isEmpty {
                profileNotes.append(
                    "profile \(sourceProfile.name): not copied, since their messages are in other folders too: "
                        + sourceProfile.folders.skip.joined(separator: ", ") + " (--folder NAME copies one)")
            }
        }
        if let destinationProfile {
            for name in destinationProfile.folders.reserved {
                guard let from = FolderPath(parsing: name, delimiter: "/"), let to = FolderPath(parsing: "\(name) (migrated)", delimiter: "/")
                else { continue }
                folderMap.rules.append(.exact(from: from, to: to))
            }
            if !destinationProfile.folders.reserved.isEmpty {
                profileNotes.append(
                    "profile \(destinationProfile.name): folders the server refuses to create go to NAME (migrated): "
                        + destinationProfile.folders.reserved.joined(separator: ", "))
            }
        }
        copyOptions.planner = CopyPlanner(
            include: folders.map(FolderPattern.init), exclude: excludes.map(FolderPattern.init), toFolder: target,
            onlyFolder: sourceEndpoint.folder, map: folderMap)
        copyOptions.planner.skip = skipped
        // Special folders by name, for servers that do not announce SPECIAL-USE.
        copyOptions.planner.sourceRoles = ProfileResolver.roles(sourceProfile)
        copyOptions.planner.sinkRoles = ProfileResolver.roles(destinationProfile)
        copyOptions.resume = checkpointOptions.resumeOptions
        copyOptions.removal = removal
        copyOptions.filter = filterOptions.filter(now: Date())
        copyOptions.maximumBytesPerSecond = maxBytesPerSecond.flatMap(FilterOptionGroup.size)
        if let batch = checkpointOptions.batchMessages { copyOptions.batchMessages = batch }
        serverOptions.applyStallWatch(to: &copyOptions, stores: options)
        var checkpoint: SQLiteCheckpointStore?
        var identity = CheckpointOptionGroup.identity(source: sourceEndpoint, destination: destinationEndpoint, toFolder: target)
        if let map = mapOptions.identityText { identity.mapping["folder-map"] = map }
        if let labelPolicy {
            identity.mapping["gmail-labels"] = ([labelPolicy.mode.rawValue, labelPolicy.unlabelled.displayName] + labelPolicy.priority).joined(separator: "\n")
        }
        if dryRun {
            copyOptions.preview = checkpointOptions.preview(identity: identity)
        } else {
            do {
                checkpoint = try checkpointOptions.open(identity: identity, failure: failure)
                if let checkpoint { options.source.budgetLedger?.attach(checkpoint) }
            } catch {
                await sourceStore.close()
                try? await sinkStore.close()
                throw error
            }
        }
        if copyOptions.maximumMessageSize == nil, let size = destinationProfile?.limits.maxMessageSize, !dryRun {
            copyOptions.maximumMessageSize = size
        }
        copyOptions.transforms = try changeOptions.transforms()
        copyOptions.repairMode = try changeOptions.repairMode()
        copyOptions.preemptiveRepairs = MessageChangeOptionGroup.repairKinds(destinationProfile?.repair.beforeSending ?? [])
        if let destinationProfile, !copyOptions.preemptiveRepairs.isEmpty, copyOptions.repairMode == .onRefusal {
            profileNotes.append(
                "profile \(destinationProfile.name): repaired before sending, as the provider refuses or changes such bytes: "
                    + destinationProfile.repair.beforeSending.joined(separator: ", "))
        }
        refusalOptions.apply(to: &copyOptions, checkpointPath: checkpoint?.location, identity: identity)
        let engine = CopyEngine(source: sourceStore, sink: sinkStore, options: copyOptions, checkpoint: checkpoint) {
            display.handle($0)
        }
        var result = await engine.run()
        display.finish()
        await checkpoint?.close()
        await sourceStore.close()
        // A sink durable only on close (an archive) is the engine's to complete: closing it here
        // after the engine could not would publish a volume whose checkpoint marks are not
        // durable; an unfinished volume is given up instead.
        if !sinkStore.capabilities.durableOnClose { try? await sinkStore.close() }
        if let archive = sinkStore as? ArchiveSink {
            archive.abandon()
            _ = archive.recordVolume(in: &result)
        }
        result.notes = profileNotes + result.notes + notices.all
        if dryRun {
            let bytes = result.folders.reduce(0) { $0 + ($1.plannedBytes ?? 0) }
            result.notes += Self.estimate(
                bytes: bytes, rate: copyOptions.maximumBytesPerSecond,
                budgets: [("download", options.source.dailyBudget), ("upload", options.destination.dailyBudget)])
        }

        try ReportOutput.emit(result, json: json, file: report)
        throw ExitStatus(result.outcome).exitCode
    }
}

extension CopyCommand {
    /// For a plan: how long the limits alone make the copy take (the network may be slower).
    static func estimate(bytes: Int, rate: Int?, budgets: [(String, Int?)]) -> [String] {
        guard bytes > 0 else { return [] }
        var seconds = rate.map { Double(bytes) / Double($0) } ?? 0
        var reasons: [String] = []
        if let rate { reasons.append("\(CopyReport.formatBytes(rate))/s at most") }
        for case let (direction, budget?) in budgets {
            // A budget's last day is partly used; each full budget before it costs a day's wait.
            let pauses = (bytes - 1) / budget
            if pauses > 0 {
                seconds = max(seconds, Double(pauses) * 86_400)
                reasons.append("a daily \(direction) budget of \(CopyReport.formatBytes(budget)): \(pauses) pause\(pauses == 1 ? "" : "s") of up to a day")
            } else {
                reasons.append("within one day's \(direction) budget of \(CopyReport.formatBytes(budget))")
            }
        }
        guard !reasons.isEmpty else {
            return ["ETA: no rate cap or provider budget applies; the network and the servers set the pace"]
        }
        let days = seconds / 86_400
        let text = days >= 1 ? "about \(CopyReport.fixed(days, places: 1)) days" : "at least \(ProgressDisplay.formatDuration(seconds))"
        return ["ETA: \(text) for \(CopyReport.formatBytes(bytes)) (\(reasons.joined(separator: "; ")))"]
    }

    /// Refuses POP3-only options (and POP3-only login methods) for other sources.
    func checkSourceOptions(_ endpoint: StoreEndpoint, destination: StoreEndpoint) throws {
        if case .pop3 = destination {
            Terminal.standardError("mailferry: \(StoreFactory.popIsSourceOnly.summary)")
            throw ExitStatus.usage.exitCode
        }
        if case .pop3 = endpoint { return }
        let pop3Only = pop3Options.usesPOP3Options || pop3Options.deleteAfterCopy || pop3Options.deleteOlderThan != nil
            || serverOptions.sourceAuth.isPOP3Only
        if pop3Only {
            Terminal.standardError("mailferry: the POP3 options (--mark-seen, --delete-after-copy, --source-auth user/apop, …) need a pop3:// or pop3s:// source")
            throw ExitStatus.usage.exitCode
        }
    }
}

/// For `--dry-run`: a sink that answers the planner's questions (capabilities, existing folders)
/// without writing anything. An existing destination is only read.
struct PlannedSink: MessageSink {
    let displayName: String
    let capabilities: StoreCapabilities
    let existing: [FolderInfo]

    static func make(endpoint: StoreEndpoint, options: StoreOptions) async -> PlannedSink {
        switch endpoint {
        case .pop3:
            return PlannedSink(displayName: endpoint.description, capabilities: StoreCapabilities(), existing: [])
        case .imap:
            // Opening an IMAP destination writes nothing; only openFolder would create folders.
            if let sink = try? await StoreFactory.openSink(endpoint, options: options) {
                let folders = (try? await sink.listFolders()) ?? []
                try? await sink.close()
                return PlannedSink(displayName: sink.displayName, capabilities: sink.capabilities, existing: folders)
            }
            return PlannedSink(displayName: endpoint.description, capabilities: StoreCapabilities(), existing: [])
        case .archive:
            var capabilities = StoreCapabilities(maximumConcurrency: 1, updatesFlags: false)
            capabilities.durableOnClose = true
            return PlannedSink(displayName: endpoint.description, capabilities: capabilities, existing: [])
        case .maildir(let path), .mbox(let path):
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            var capabilities = StoreCapabilities()
            if case .maildir = endpoint { capabilities.keywords = .limited(26) }
            if case .mbox = endpoint, !(path.hasSuffix("/") || isDirectory.boolValue) { capabilities.hierarchy = .single }
            var folders: [FolderInfo] = []
            if exists, let reader = try? await StoreFactory.openSource(endpoint, options: options) {
                folders = (try? await reader.listFolders()) ?? []
                await reader.close()
            }
            return PlannedSink(displayName: endpoint.description, capabilities: capabilities, existing: folders)
        }
    }

    func listFolders() async throws -> [FolderInfo] { existing }

    func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        throw MailError(.internalError, scope: .store, retry: .never, "a dry run writes nothing")
    }

    func close() async throws {}
}

/// Writes a report as text or JSON, and optionally to a file.
enum ReportOutput {
    static func emit(_ report: some PrintableReport, json: Bool, file: String?) throws {
        if json {
            print(try report.json())
        } else {
            print(report.text)
        }
        if let file {
            do {
                try Data((try report.json() + "\n").utf8).write(to: URL(fileURLWithPath: file))
            } catch {
                Terminal.standardError("mailferry: cannot write the report to \(file): \(error.localizedDescription)")
            }
        }
    }
}
