import ArgumentParser
import Engine
import Foundation
import MailArchive
import MailCore
import Stores

/// `mailferry verify SOURCE DEST`: compares the two sides folder by folder, with the same
/// endpoint and mapping options as `copy`. `mailferry verify archive:FILE` checks an archive
/// against its own manifest.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that a destination holds every source message exactly once, with flags and dates.",
        discussion: """
            Reads both sides and compares, per destination folder (mapped as `copy` maps them), \
            the messages' contents, flags, keywords and arrival dates, within what both stores \
            can hold. Lists messages missing from the destination, duplicated in it, only in it, \
            and those whose flags or dates differ. Run it before switching DNS or deleting the \
            old account. Exit 0 only when everything matches (messages only in the destination \
            are allowed unless --exact), 1 when something differs, 3 when a store failed.

            With a single archive:FILE, reads the whole archive and checks every message \
            against its manifest line (present, same size, same SHA-256) and that no message \
            file is missing from the manifest; exit 0 when intact, 1 when not, 3 when it cannot \
            be read or is unsafe.

            Examples:
              mailferry verify imaps://me@old.example.com imaps://me@new.example.com
              mailferry verify mbox:~/old.mbox maildir:~/Maildir --to-folder Imported --json
              mailferry verify archive:~/mail-archive/mail-2026-01-01.tar.zst
            """
    )

    @Argument(help: "The source of the copy.")
    var source: String

    @Argument(help: "The destination of the copy (only read); none to check an archive:FILE alone.")
    var destination: String?

    @Option(name: .customLong("folder"), help: "Compare only folders matching this glob (repeatable).")
    var folders: [String] = []

    @Option(name: .customLong("exclude"), help: "Skip folders matching this glob (repeatable).")
    var excludes: [String] = []

    @Option(help: "The --to-folder the copy used.")
    var toFolder: String?

    @ArgumentParser.Flag(help: "Messages only the destination holds count as a difference.")
    var exact = false

    @ArgumentParser.Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Also write the JSON report to this file.")
    var report: String?

    @ArgumentParser.Flag(name: .shortAndLong, help: "No progress display.")
    var quiet = false

    @OptionGroup(title: "Folder names") var mapOptions: FolderMapOptionGroup

    @OptionGroup(title: "Message changes (as given to copy)") var changeOptions: MessageChangeOptionGroup

    @OptionGroup(title: "Gmail sources (as given to copy)") var gmailOptions: GmailOptionGroup

    @OptionGroup var storeOptions: StoreOptionGroup

    @OptionGroup(title: "Servers") var serverOptions: ServerOptionGroup

    func run() async throws {
        let sourceEndpoint = try EndpointOpener.parse(source)
        guard let destination else {
            guard case .archive(let path) = sourceEndpoint else {
                Terminal.standardError("mailferry: verify needs SOURCE and DEST (or a single archive:FILE)")
                throw ExitStatus.usage.exitCode
            }
            try verifyArchive(path)
            return
        }
        let destinationEndpoint = try EndpointOpener.parse(destination)
        var options = storeOptions.storeOptions
        try serverOptions.apply(to: &options)
        serverOptions.warnAboutInsecureChoices()
        let failure = FailureReport(
            source: sourceEndpoint.description, destination: destinationEndpoint.description, json: json, file: report,
            verify: true)
        let sourceStore = gmailOptions.wrap(
            try await EndpointOpener.openSource(sourceEndpoint, options: options, failure: failure)).source
        let destinationStore: any MessageSource
        do {
            destinationStore = try await StoreFactory.openDestinationForReading(destinationEndpoint, options: options)
        } catch let error as MailError {
            await sourceStore.close()
            Terminal.standardError("mailferry: cannot open destination \(destinationEndpoint): \(error.description)")
            failure.emit(error, context: "cannot open destination \(destinationEndpoint)")
            throw ExitStatus.storeFailure.exitCode
        }
        let planner = CopyPlanner(
            include: folders.map(FolderPattern.init), exclude: excludes.map(FolderPattern.init),
            toFolder: toFolder.flatMap { FolderPath(parsing: $0, delimiter: "/") } ?? destinationEndpoint.folder,
            onlyFolder: sourceEndpoint.folder, map: try mapOptions.folderMap())
        let display = ProgressDisplay(enabled: !quiet && Terminal.standardErrorIsTerminal)
        let verifier = Verifier(
            source: sourceStore, destination: destinationStore, planner: planner, exact: exact,
            transforms: try changeOptions.transforms(), repairMode: try changeOptions.repairMode()
        ) { display.handle($0) }
        let result = await verifier.run()
        display.finish()
        await sourceStore.close()
        await destinationStore.close()
        try ReportOutput.emit(result, json: json, file: report)
        if result.stoppedBy != nil { throw ExitStatus.storeFailure.exitCode }
        throw (result.matches ? ExitStatus.success : ExitStatus.partial).exitCode
    }
}

extension VerifyCommand {
    /// Checks an archive against its manifest and reports.
    func verifyArchive(_ path: String) throws {
        let result: ArchiveVerifier.Result
        do {
            result = try ArchiveVerifier.verify(path: path)
        } catch let error as MailError {
            Terminal.standardError("mailferry: \(error.description)")
            FailureReport(source: "archive:\(path)", destination: "archive:\(path)", json: json, file: report, verify: true)
                .emit(error, context: "cannot verify archive:\(path)")
            throw ExitStatus.storeFailure.exitCode
        }
        try ReportOutput.emit(ArchiveVerifyReport(result), json: json, file: report)
        throw (result.isIntact ? ExitStatus.success : ExitStatus.partial).exitCode
    }
}

/// What `mailferry verify archive:FILE` found.
struct ArchiveVerifyReport: PrintableReport {
    var tool = "mailferry"
    var version = MailFerryVersion.current
    var archive: String
    var intact: Bool
    var messages: Int
    var matched: Int
    var bytes: Int
    var folders: [String: Int]
    var problems: [String]

    init(_ result: ArchiveVerifier.Result) {
        archive = result.path
        intact = result.isIntact
        messages = result.messages
        matched = result.matched
        bytes = result.bytes
        problems = result.problems
        var folders: [String: Int] = [:]
        for entry in result.entries { folders[(entry.folderPath ?? .inbox).displayName, default: 0] += 1 }
        self.folders = folders
    }

    var text: String {
        var lines = ["Archive \(archive):"]
        for (folder, count) in folders.sorted(by: { $0.key < $1.key }) { lines.append("  \(folder)  \(count) message(s)") }
        lines += problems.map { "Problem: \($0)" }
        lines.append(
            intact
                ? "Intact: all \(messages) message(s) match the manifest (\(CopyReport.formatBytes(bytes)))."
                : "NOT intact: \(matched) of \(messages) message(s) match the manifest; \(problems.count) problem(s).")
        return lines.joined(separator: "\n")
    }
}
