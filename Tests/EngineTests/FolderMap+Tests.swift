import Engine
import MailCore
import Testing

@Suite("Folder maps: explicit renames, patterns, flattening")
struct FolderMapTests {
    static let map = FolderMap(rules: [
        .exact(from: FolderPath(["Sent Items"])!, to: FolderPath(["Sent"])!),
        .pattern(try! FolderMap.RegexRule(pattern: "^INBOX/(.*)$", template: "$1")),
        .pattern(try! FolderMap.RegexRule(pattern: "Archive/([0-9]{4})/(.*)", template: "Old/$1-$2")),
        .pattern(try! FolderMap.RegexRule(pattern: "Drafts", template: "$9")),  // no level: skipped
    ])

    @Test(
        "the first matching rule decides; names use / between levels; no match leaves the folder to the planner",
        arguments: [
            ("Sent Items", "Sent"), ("INBOX/Receipts", "Receipts"), ("INBOX/Lists/Swift", "Lists/Swift"),
            ("Archive/2019/Q1", "Old/2019-Q1"), ("INBOX", nil), ("Sent Items/Sub", nil), ("Drafts", nil), ("Notes", nil),
        ] as [(String, String?)])
    func rules(source: String, expected: String?) throws {
        let folder = try #require(FolderPath(parsing: source, delimiter: "/"))
        #expect(Self.map.destination(for: folder)?.displayName == expected)
    }

    @Test("mapped folders go exactly there (no --to-folder prefix); the others flatten and take the prefix")
    func planner() {
        let source = ["INBOX", "INBOX/Receipts", "Archive/2019", "Sent Items"].map {
            FolderInfo(path: FolderPath(parsing: $0, delimiter: "/")!)
        }
        var map = Self.map
        map.flattenSeparator = "-"
        let planner = CopyPlanner(toFolder: FolderPath(["Imported"]), map: map)
        let plan = planner.plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == ["Imported-INBOX", "Receipts", "Imported-Archive-2019", "Sent"])
    }

    @Test("a single-folder destination still takes everything flat")
    func singleFolderSink() {
        let source = ["Sent Items", "INBOX/Receipts"].map { FolderInfo(path: FolderPath(parsing: $0, delimiter: "/")!) }
        var sink = StoreCapabilities()
        sink.hierarchy = .single
        let plan = CopyPlanner(map: Self.map).plan(sourceFolders: source, sourceCapabilities: .init(), sinkCapabilities: sink)
        #expect(plan.entries.map(\.destination.displayName) == ["INBOX", "INBOX"])
    }

    @Test(
        "a prefix goes before the top level, a suffix after the last; INBOX keeps its name",
        arguments: [
            ("INBOX", "INBOX"), ("Work", "Old Work (2019)"), ("Work/Projects", "Old Work/Projects (2019)"),
            ("INBOX/Lists", "Old INBOX/Lists (2019)"),
        ])
    func prefixAndSuffix(source: String, expected: String) {
        let map = FolderMap(prefix: "Old ", suffix: " (2019)")
        let plan = CopyPlanner(map: map).plan(
            sourceFolders: [FolderInfo(path: FolderPath(parsing: source, delimiter: "/")!)], sourceCapabilities: .init(),
            sinkCapabilities: .init())
        #expect(plan.entries.map(\.destination.displayName) == [expected])
    }
}
