import Foundation
@testable import Engine
import MailCore
import Testing

@Suite("Folder selection and mapping")
struct CopyPlannerTests {
    static let patterns: [(String, String, Bool)] = [
        ("Archive*", "Archive", true),
        ("Archive*", "Archive/2021/Q1", true),
        ("Archive/%", "Archive/2021", true),
        ("Archive/%", "Archive/2021/Q1", false),
        ("Archive/%/Q?", "Archive/2021/Q1", true),
        ("*/Q1", "Archive/2021/Q1", true),
        ("inbox", "INBOX", true),
        ("Inbox/Sub*", "INBOX/Subfolder", true),
        ("Sent", "Sent Items", false),
        ("*", "Заметки", true),
        ("Rech*/Ü*", "Rechnungen/Überweisungen", true),
    ]

    @Test("globs: * across levels, % within one, ? one character", arguments: patterns)
    func globs(pattern: String, name: String, matches: Bool) throws {
        let folder = try #require(FolderPath(parsing: name, delimiter: "/"))
        #expect(FolderPattern(pattern).matches(folder) == matches)
    }

    func folders(_ names: [String]) -> [FolderInfo] {
        names.map { FolderInfo(path: FolderPath(parsing: $0, delimiter: "/")!) }
    }

    @Test("a tree keeps its shape, under --to-folder when given; include and exclude filter it")
    func tree() {
        let source = folders(["INBOX", "Archive", "Archive/2021", "Sent"])
        var planner = CopyPlanner(include: [FolderPattern("Archive*"), FolderPattern("INBOX")], exclude: [FolderPattern("*/2021")])
        var plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["INBOX", "Archive"])
        planner = CopyPlanner(toFolder: FolderPath(["Imported"]))
        plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["Imported/INBOX", "Imported/Archive", "Imported/Archive/2021", "Imported/Sent"])
        #expect(plan.notes.isEmpty)
    }

    @Test("a skip rule leaves a selected folder out and the plan lists it with its reason; --exclude and --folder do not list")
    func skippedFolders() {
        let source = folders(["INBOX", "All Mail", "Starred", "Work"])
        var planner = CopyPlanner(exclude: [FolderPattern("Starred")])
        planner.skip = [
            FolderSkipRule(FolderPattern("All Mail"), reason: "the profile skips it"),
            FolderSkipRule(FolderPattern("Starred"), reason: "the profile skips it"),
        ]
        var plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["INBOX", "Work"])
        // Starred was excluded by the user: not a skip; All Mail was selected and skipped.
        #expect(plan.skipped == [SkippedFolder(folder: "All Mail", reason: "the profile skips it")])
        planner.include = [FolderPattern("Work")]
        plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.skipped.isEmpty)
    }

    @Test("a skipped folder makes the report partial and is listed in its text and JSON")
    func skippedFolderReport() throws {
        var report = CopyReport(version: "t", source: "a", destination: "b", dryRun: false, startedAt: Date())
        report.skippedFolders = [SkippedFolder(folder: "All Mail", reason: "the profile skips it")]
        report.finish(at: Date())
        #expect(report.outcome == .partial)
        #expect(report.text.contains("Folders not copied (1):\n  All Mail: the profile skips it"), "\(report.text)")
        #expect(try report.json().contains("\"skippedFolders\""))
    }

    @Test("a single-folder source lands in INBOX or --to-folder")
    func singleSource() {
        let single = StoreCapabilities(hierarchy: .single)
        var plan = CopyPlanner().plan(sourceFolders: folders(["INBOX"]), sourceCapabilities: single, sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination) == [.inbox])
        plan = CopyPlanner(toFolder: FolderPath(["Old", "2019"])).plan(
            sourceFolders: folders(["INBOX"]), sourceCapabilities: single, sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["Old/2019"])
    }

    @Test("a single-folder sink takes everything flat, and the plan says so")
    func singleSink() {
        let plan = CopyPlanner().plan(
            sourceFolders: folders(["INBOX", "Archive", "Sent"]), sourceCapabilities: .init(),
            sinkCapabilities: StoreCapabilities(hierarchy: .single))
        #expect(plan.entries.allSatisfy { $0.destination == .inbox })
        #expect(plan.notes == ["the destination holds one folder: 3 source folders were copied into it flat"])
    }

    @Test("special-use roles travel with the folder")
    func roles() {
        let source = [FolderInfo(path: FolderPath(["Gesendet"], role: .sent)!)]
        let plan = CopyPlanner().plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.entries.first?.destination.role == .sent)
    }
}

@Suite("Special folders by name (provider profiles)")
struct ProfileRoleTests {
    @Test("folders a profile names get their role when the server announces none; an announced role wins")
    func rolesByName() {
        var planner = CopyPlanner()
        planner.sourceRoles = ["Sent Items": .sent, "Deleted Items": .trash]
        planner.sinkRoles = ["Gesendet": .sent, "papierkorb": .trash]
        var announcedTrash = FolderPath(["Trash"])!
        announcedTrash.role = .trash
        let source = [FolderPath(["Sent Items"])!, FolderPath(["Deleted Items"])!].map { FolderInfo(path: $0) }
        let sink = [FolderInfo(path: FolderPath(["Gesendet"])!), FolderInfo(path: FolderPath(["Papierkorb"])!), FolderInfo(path: announcedTrash)]
        let plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkFolders: sink, sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["Gesendet", "Trash"])
        #expect(plan.entries.map(\.destination.role) == [.sent, .trash])
    }
}
