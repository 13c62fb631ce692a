import Checkpoints
import Foundation
import MailCore
import MailTesting
import Testing

@Suite("Checkpoints from the command line", .serialized)
struct CheckpointCLITests {
    @Test("the checkpoint lives under XDG_STATE_HOME, is named in the report, and a rerun has nothing to do")
    func defaultLocationAndRerun() async throws {
        let directory = try TemporaryDirectory("cli-checkpoint")
        defer { directory.remove() }
        let state = directory.file("state")
        let arguments = ["copy", "mbox:\(sampleMbox)", "maildir:\(directory.file("Maildir"))", "--json"]
        let first = try await BuiltProducts.run(arguments, environment: ["XDG_STATE_HOME": state])
        #expect(first.status == 0, "\(first.stderr)")
        let path = try #require(try json(first.stdout)["checkpoint"] as? String)
        #expect(path.hasPrefix(state + "/mailferry/jobs/") && path.hasSuffix(".sqlite"))
        #expect(FileManager.default.fileExists(atPath: path))
        let second = try await BuiltProducts.run(Array(arguments.dropLast()), environment: ["XDG_STATE_HOME": state])
        #expect(second.status == 0)
        #expect(second.stdout.contains("Nothing to do: all 7 messages"))
        #expect(second.stdout.contains("Checkpoint: \(path)"))

        let list = try await BuiltProducts.run(["status"], environment: ["XDG_STATE_HOME": state])
        #expect(list.status == 0)
        #expect(list.stdout.contains("mbox:\(sampleMbox) → maildir:\(directory.file("Maildir"))"))
        let status = try await BuiltProducts.run(
            ["status", "mbox:\(sampleMbox)", "maildir:\(directory.file("Maildir"))"], environment: ["XDG_STATE_HOME": state])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("INBOX") && status.stdout.contains("7 done, 0 failed"))
        let jobID = (path as NSString).lastPathComponent.prefix(6)
        let byID = try await BuiltProducts.run(["status", String(jobID), "--json"], environment: ["XDG_STATE_HOME": state])
        #expect(byID.status == 0)
        #expect((try json(byID.stdout)["folders"] as? [[String: Any]])?.first?["done"] as? Int == 7)
    }

    @Test("a second run of the same job is refused while the first holds it (exit 4)")
    func secondInstance() async throws {
        let directory = try TemporaryDirectory("cli-lock")
        defer { directory.remove() }
        let target = "maildir:\(directory.file("Maildir"))"
        let checkpoint = directory.file("job.sqlite")
        let first = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", target, "--checkpoint", checkpoint, "-q"])
        #expect(first.status == 0)
        // Hold the job as a running copy would.
        let identity = try #require(try CheckpointSummary.read(path: checkpoint)).source
        #expect(identity == "mbox:\(sampleMbox)")
        let holder = try SQLiteCheckpointStore(
            path: checkpoint,
            identity: JobIdentity(source: "mbox:\(sampleMbox)", destination: "maildir:\(directory.file("Maildir"))"))
        let second = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", target, "--checkpoint", checkpoint])
        #expect(second.status == 4)
        #expect(second.stderr.contains("another mailferry process (pid \(getpid())) is running this job"))
        Task { await holder.close() }
    }

    @Test("a damaged, truncated or empty checkpoint is refused (exit 4), never read as a fresh start", arguments: ["garbage", "truncated", "empty", "missing"])
    func damaged(kind: String) async throws {
        let directory = try TemporaryDirectory("cli-damaged")
        defer { directory.remove() }
        let target = "maildir:\(directory.file("Maildir"))"
        let checkpoint = directory.file("job.sqlite")
        let first = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", target, "--checkpoint", checkpoint, "-q"])
        #expect(first.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        switch kind {
        case "garbage": try Data(repeating: 0x5a, count: bytes.count).write(to: URL(fileURLWithPath: checkpoint))
        case "truncated": try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: checkpoint))
        case "empty": try Data().write(to: URL(fileURLWithPath: checkpoint))
        default: try FileManager.default.removeItem(atPath: checkpoint)
        }
        let second = try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", target, "--checkpoint", checkpoint])
        #expect(second.status == 4, "\(second.stdout) \(second.stderr)")
        #expect(second.stderr.contains("checkpoint") && second.stderr.contains(checkpoint))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("Maildir/cur")).count == 7)
    }

    @Test("verify exits 0 on a match and 1 with the differences listed, as text and JSON")
    func verify() async throws {
        let directory = try TemporaryDirectory("cli-verify")
        defer { directory.remove() }
        let target = directory.file("Maildir")
        #expect(try await BuiltProducts.run(["copy", "mbox:\(sampleMbox)", "maildir:\(target)", "--no-checkpoint", "-q"]).status == 0)
        let match = try await BuiltProducts.run(["verify", "mbox:\(sampleMbox)", "maildir:\(target)"])
        #expect(match.status == 0, "\(match.stdout)")
        #expect(match.stdout.contains("The destination matches the source: 7 messages"))
        let files = try FileManager.default.contentsOfDirectory(atPath: target + "/cur").sorted()
        // One message lost, one duplicated, one with a flag changed.
        try FileManager.default.removeItem(atPath: "\(target)/cur/\(files[0])")
        try FileManager.default.copyItem(atPath: "\(target)/cur/\(files[1])", toPath: "\(target)/cur/\(files[1].prefix(20))dup:2,S")
        let renamed = files[2].replacingOccurrences(of: ":2,", with: ":2,F")
        try FileManager.default.moveItem(atPath: "\(target)/cur/\(files[2])", toPath: "\(target)/cur/\(renamed)")
        let differ = try await BuiltProducts.run(["verify", "mbox:\(sampleMbox)", "maildir:\(target)", "--json"])
        #expect(differ.status == 1)
        let folder = try #require((try json(differ.stdout)["folders"] as? [[String: Any]])?.first)
        #expect(folder["missingCount"] as? Int == 1)
        #expect(folder["duplicatedCount"] as? Int == 1)
        #expect(folder["flagDifferenceCount"] as? Int == 1)
        let text = try await BuiltProducts.run(["verify", "mbox:\(sampleMbox)", "maildir:\(target)"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("DIFFERENT: 1 missing, 1 duplicated, flags differ on 1"))
    }
}

@Suite("Checkpoints from the command line, with IMAP", .enabled(if: TestServer.isAvailable, TestServer.skipReason), .serialized)
struct CheckpointIMAPCLITests {
    let server = TestServer.current!

    @Test("no password ever reaches the checkpoint or its job file")
    func noSecrets() async throws {
        try server.reset(user: "grace")
        let directory = try TemporaryDirectory("cli-secrets")
        defer { directory.remove() }
        let checkpoint = directory.file("job.sqlite")
        let result = try await BuiltProducts.run(
            ["copy", "mbox:\(sampleMbox)", "imaps://grace@\(server.host):\(server.imapsPort)/Secrets", "--ca-file", server.caFile,
             "--checkpoint", checkpoint, "-q"],
            environment: ["MAILFERRY_DEST_PASSWORD": server.password])
        #expect(result.status == 0, "\(result.stderr)")
        for file in [checkpoint, checkpoint + ".job", checkpoint + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data(server.password.utf8)) == nil, "the password is in \(file)")
        }
        #expect(try CheckpointSummary.read(path: checkpoint).destination == "imaps://grace@\(server.host):\(server.imapsPort)/Secrets")
    }
}
