import Foundation
import MailCore
import MailTesting
import Stores
import Testing
import TOMLParser
@testable import MailFerryCLI

@Suite("Job files")
struct JobFileTests {
    static func job(_ text: String, environment: [String: String] = [:]) throws -> JobFile {
        try JobFile(table: try TOMLParser().parse(text, file: "job.toml"), file: "job.toml", environment: environment)
    }

    @Test("every section becomes the copy options it stands for; secrets only as references")
    func translates() throws {
        let job = try Self.job(
            """
            description = "Old provider to new"
            [source]
            url = "imaps://me@old.example.com"
            password_env = "OLD_PW"
            daily_limit = "2500M"
            [destination]
            url = "gmail://me@gmail.com"
            password_command = "pass show new"
            [folders]
            include = ["INBOX", "Work*"]
            exclude = ["Spam"]
            map = { "INBOX.Old" = "Archive/Old" }
            map_regex = { '^INBOX\\.(.*)' = "$1" }
            flatten = "."
            [filters]
            since = 2020-01-01
            max_size = "20M"
            skip_flagged = true
            unseen_only = false
            [transforms]
            add_headers = ["X-Migrated-From: old.example.com"]
            repair = false
            [limits]
            connections = 3
            max_bytes_per_second = "2M"
            [checkpoint]
            path = "/tmp/job.sqlite"
            dedup = true
            [output]
            report = "/tmp/report.json"
            """, environment: ["OLD_PW": "s3cret"])
        #expect(
            job.arguments == [
                "imaps://me@old.example.com", "gmail://me@gmail.com",
                "--daily-download-limit", "2500M", "--dest-password-command", "pass show new",
                "--folder", "INBOX", "--folder", "Work*", "--exclude", "Spam", "--map", "INBOX.Old=Archive/Old",
                "--map-regex", "^INBOX\\.(.*)=$1", "--flatten", ".",
                "--since", "2020-01-01", "--max-size", "20M", "--skip-flagged",
                "--add-header", "X-Migrated-From: old.example.com", "--no-repair",
                "--connections", "3", "--max-bytes-per-second", "2M",
                "--checkpoint", "/tmp/job.sqlite", "--dedup", "--report", "/tmp/report.json",
            ])
        #expect(job.environment == ["MAILFERRY_SOURCE_PASSWORD": "s3cret"])
        #expect(!job.arguments.contains("s3cret"))
        // The arguments are a valid copy command line.
        #expect(throws: Never.self) { try CopyCommand.parse(job.arguments) }
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var message: String
        var testDescription: String { message }
    }

    static let bad: [Bad] = [
        Bad(text: "[source]\nurl = \"maildir:a\"\n[destination]\nurl = \"maildir:b\"\n[folders]\nincldue = [\"x\"]\n", line: 6, message: "unknown key `incldue` in [folders]"),
        Bad(text: "[source]\nurl = \"maildir:a\"\npassword = \"hunter2\"\n[destination]\nurl = \"maildir:b\"\n", line: 3, message: "unknown key `password` in [source]"),
        Bad(text: "[source]\nurl = \"maildir:a\"\n[destination]\nurl = \"maildir:b\"\n[filter]\nsince = 2020-01-01\n", line: 5, message: "unknown key `filter` at the top level"),
        Bad(text: "[source]\nurl = \"maildir:a\"\n[destination]\nurl = \"maildir:b\"\n[limits]\nconnections = \"four\"\n", line: 6, message: "must be a number, found a string"),
        Bad(text: "[source]\nurl = \"maildir:a\"\n", line: 1, message: "missing [destination] url"),
        Bad(text: "[source]\nurl = \"maildir:a\"\npassword_env = \"NOT_SET_ANYWHERE\"\n[destination]\nurl = \"maildir:b\"\n", line: 3, message: "NOT_SET_ANYWHERE (password_env) is not set"),
        Bad(text: "[source]\nurl = \"maildir:a\"\n[destination]\nurl = \"maildir:b\"\n[checkpoint]\ndedup = \"yes\"\n", line: 6, message: "must be true or false"),
    ]

    @Test("mistakes are errors that name the line", arguments: bad)
    func errors(_ test: Bad) throws {
        do {
            _ = try Self.job(test.text)
            Issue.record("accepted: \(test.text)")
        } catch let failure as JobFile.Failure {
            #expect(failure.position.line == test.line, "\(failure)")
            #expect(failure.message.contains(test.message), "\(failure)")
            #expect(failure.description.hasPrefix("job.toml:\(test.line):"))
        }
    }

    /// Messages of every Maildir file under `root`, by folder directory and bytes (names differ between runs).
    static func contents(_ root: String) throws -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            guard path.contains("/cur/") || path.hasPrefix("cur/") else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(path)"))
            found.append((path as NSString).deletingLastPathComponent + ":" + String(decoding: bytes, as: UTF8.self))
        }
        return found.sorted()
    }

    @Test("a job file and its command line make the same run: same result, and one resumes the other")
    func equivalentToCommandLine() async throws {
        let directory = try TemporaryDirectory("jobfile")
        defer { directory.remove() }
        let source = directory.file("source")
        let sink = try MaildirStore(openingSink: source, options: StoreOptions())
        try await storeGeneratedMessages(into: sink, folders: [("INBOX", 12), ("INBOX/Old", 8), ("Work", 10)], seed: 91)
        let options = [
            "--map", "INBOX/Old=Archive/Old", "--exclude", "Work", "--max-size", "1K", "--checkpoint", directory.file("a.sqlite"),
            "--add-header", "X-Migrated-From: test",
        ]
        try directory.write(
            "job.toml",
            """
            [source]
            url = "maildir:\(source)"
            [destination]
            url = "maildir:\(directory.file("viaJob"))"
            [folders]
            map = { "INBOX/Old" = "Archive/Old" }
            exclude = ["Work"]
            [filters]
            max_size = "1K"
            [transforms]
            add_headers = ["X-Migrated-From: test"]
            [checkpoint]
            path = "\(directory.file("a.sqlite"))"
            [output]
            json = true
            """)
        let viaJob = try await BuiltProducts.run(["run", directory.file("job.toml")])
        #expect(viaJob.status == 0, "\(viaJob.stdout)\(viaJob.stderr)")
        let viaCommandLine = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", "maildir:\(directory.file("viaCommandLine"))", "--json"]
                + options.map { $0 == directory.file("a.sqlite") ? directory.file("b.sqlite") : $0 })
        #expect(viaCommandLine.status == 0, "\(viaCommandLine.stdout)\(viaCommandLine.stderr)")
        let jobTotals = try json(viaJob.stdout)["totals"] as? [String: Any]
        let lineTotals = try json(viaCommandLine.stdout)["totals"] as? [String: Any]
        #expect(jobTotals?["copied"] as? Int == lineTotals?["copied"] as? Int)
        #expect(jobTotals?["filtered"] as? Int == lineTotals?["filtered"] as? Int)
        #expect((jobTotals?["filtered"] as? Int ?? 0) > 0, "\(viaJob.stdout.prefix(3000))")
        let a = try Self.contents(directory.file("viaJob"))
        let b = try Self.contents(directory.file("viaCommandLine"))
        #expect(!a.isEmpty && a == b)
        #expect(a.contains { $0.hasPrefix(".Archive.Old/cur:X-Migrated-From: test\n") })
        // The command line is the same job: with the job file's checkpoint it has nothing to do.
        let resumed = try await BuiltProducts.run(
            ["copy", "maildir:\(source)", "maildir:\(directory.file("viaJob"))"] + options)
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("Nothing to do"), "\(resumed.stdout)")
    }

    @Test(
        "transforms run in the job's order: removing X-Trace* after adding X-Trace removes both; before, keeps the new one",
        arguments: [(["add-header", "remove-header"], false), (["remove-header", "add-header"], true)])
    func transformOrder(order: [String], keepsAdded: Bool) async throws {
        let directory = try TemporaryDirectory("transform-order")
        defer { directory.remove() }
        let source = directory.file("source")
        for sub in ["cur", "new", "tmp"] { try FileManager.default.createDirectory(atPath: "\(source)/\(sub)", withIntermediateDirectories: true) }
        try directory.write("source/cur/1700000000.M1P1.t:2,S", "X-Trace-Old: relay\nSubject: s\nMessage-ID: <t@x>\n\nX-Trace: in the body\n")
        try directory.write(
            "job.toml",
            """
            [source]
            url = "maildir:\(source)"
            [destination]
            url = "maildir:\(directory.file("out"))"
            [transforms]
            remove_headers = ["X-Trace*"]
            add_headers = ["X-Trace: added"]
            order = [\(order.map { "\"\($0)\"" }.joined(separator: ", "))]
            [checkpoint]
            enabled = false
            """)
        let run = try await BuiltProducts.run(["run", directory.file("job.toml")])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let stored = try Self.contents(directory.file("out"))
        #expect(stored.count == 1)
        let expected = (keepsAdded ? "X-Trace: added\n" : "") + "Subject: s\nMessage-ID: <t@x>\n\nX-Trace: in the body\n"
        #expect(stored.first == "cur:" + expected, "\(stored)")
        let shown = try await BuiltProducts.run(["run", directory.file("job.toml"), "--show-command"])
        #expect(shown.stdout.contains("--transform-order \(order[0]) --transform-order \(order[1])"), "\(shown.stdout)")
    }

    @Test("plan shows the folder map, counts, bytes and an ETA from the limits, and writes nothing")
    func plan() async throws {
        let directory = try TemporaryDirectory("jobplan")
        defer { directory.remove() }
        try directory.write(
            "job.toml",
            """
            [source]
            url = "mbox:\(sampleMbox)"
            [destination]
            url = "maildir:\(directory.file("never"))"
            [folders]
            to_folder = "Imported"
            [limits]
            max_bytes_per_second = "1K"
            """)
        let plan = try await BuiltProducts.run(["plan", directory.file("job.toml")])
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("Plan:"))
        #expect(plan.stdout.contains("→ Imported"))
        #expect(plan.stdout.contains("Would copy 7 messages"))
        #expect(plan.stdout.contains("ETA: at least"), "\(plan.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("never")))
        let bad = try await BuiltProducts.run(["run", directory.file("missing.toml")])
        #expect(bad.status == 2 && bad.stderr.contains("missing.toml:1:1: cannot read the job file"))
    }
}

extension JobFileTests {
    @Test("`repair` takes the --repair values; its older boolean spelling still works")
    func repairKey() throws {
        func arguments(_ value: String) throws -> [String] {
            try Self.job("[source]\nurl = \"maildir:/a\"\n[destination]\nurl = \"maildir:/b\"\n[transforms]\nrepair = \(value)\n").arguments
        }
        #expect(try arguments("\"always\"").suffix(2) == ["--repair", "always"])
        #expect(try arguments("\"never\"").suffix(2) == ["--repair", "never"])
        #expect(try arguments("false").last == "--no-repair")
        #expect(try !arguments("true").contains { $0.contains("repair") })
        #expect(throws: (any Error).self) { try arguments("3") }
        #expect(throws: (any Error).self) { try CopyCommand.parse(try arguments("\"sometimes\"")) }
        #expect(throws: Never.self) { try CopyCommand.parse(try arguments("\"on-refusal\"")) }
        // The repair names a provider profile may declare are exactly the repairs there are.
        #expect(MessageChangeOptionGroup.profileNamesMatchRepairKinds)
    }
}
