import ArgumentParser
import Engine
import Foundation
import MailCore
import Stores

/// `mailferry folders SOURCE`: the folders of a store with message counts and sizes.
struct FoldersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folders",
        abstract: "List the folders of a store with message counts and sizes."
    )

    @Argument(help: "The store: maildir:PATH, mbox:PATH, imaps://user@host or imap://user@host (its options are the --source-* ones).")
    var store: String

    @ArgumentParser.Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var storeOptions: StoreOptionGroup

    @OptionGroup(title: "Servers") var serverOptions: ServerOptionGroup

    struct Row: Codable {
        var folder: String
        var role: String?
        var messages: Int?
        var bytes: Int?
        var unreadable: Int?
        var location: String?
        var error: String?
    }

    func run() async throws {
        let endpoint = try EndpointOpener.parse(store)
        var options = storeOptions.storeOptions
        try serverOptions.apply(to: &options)
        serverOptions.warnAboutInsecureChoices()
        let source = try await EndpointOpener.openSource(endpoint, options: options)
        var rows: [Row] = []
        var failed = false
        do {
            for folder in try await source.listFolders() {
                var row = Row(folder: folder.path.displayName, role: folder.path.role?.attribute, location: folder.location)
                guard folder.isSelectable else {
                    row.error = "holds no messages (only sub-folders)"
                    rows.append(row)
                    continue
                }
                do {
                    let status = try await source.status(of: folder)
                    row.messages = status.messages
                    row.bytes = status.bytes
                    row.unreadable = status.unreadable > 0 ? status.unreadable : nil
                } catch let error as MailError {
                    row.error = error.summary
                    failed = true
                }
                rows.append(row)
            }
        } catch let error as MailError {
            Terminal.standardError("mailferry: \(error.description)")
            throw ExitStatus.storeFailure.exitCode
        }
        let skipped = await source.listingProblems()
        await source.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            let width = max(6, rows.map(\.folder.count).max() ?? 6)
            print("FOLDER".padding(toLength: width, withPad: " ", startingAt: 0) + "  MESSAGES        SIZE  ROLE")
            for row in rows {
                let messages = row.messages.map(String.init) ?? "-"
                let size = row.bytes.map(CopyReport.formatBytes) ?? "-"
                var line = row.folder.padding(toLength: width, withPad: " ", startingAt: 0)
                line += "  " + String(repeating: " ", count: max(0, 8 - messages.count)) + messages
                line += "  " + String(repeating: " ", count: max(0, 10 - size.count)) + size
                line += "  " + (row.role ?? "")
                if let error = row.error { line += "  [\(error)]" }
                if let unreadable = row.unreadable { line += "  [\(unreadable) unreadable]" }
                print(line)
            }
            let total = rows.reduce(0) { $0 + ($1.messages ?? 0) }
            let bytes = rows.reduce(0) { $0 + ($1.bytes ?? 0) }
            print("\(CopyReport.count(rows.count, "folder")), \(CopyReport.count(total, "message")), \(CopyReport.formatBytes(bytes))")
            for problem in skipped { print("Skipped \(problem.path ?? ""): \(problem.summary)") }
        }
        if failed { throw ExitStatus.partial.exitCode }
    }
}
