import Foundation
import MailCore
import MailTesting
import Testing

@testable import MailFormats

@Suite("mbox writing")
struct MboxAppenderTests {
    static let date = ISO8601DateFormatter().date(from: "2024-03-04T09:15:02Z")!

    func readFile(_ path: String) throws -> [MboxReader.Message] {
        let reader = MboxReader(input: try MboxFile.openForReading(path, lockTimeout: 1))
        defer { reader.close() }
        var messages: [MboxReader.Message] = []
        while let item = try reader.next() {
            if case .message(let message) = item { messages.append(message) }
        }
        return messages
    }

    @Test("writes mboxrd that reads back to the same bytes, flags and dates")
    func roundTrip() throws {
        let directory = try TemporaryDirectory("mbox-write")
        defer { directory.remove() }
        let path = directory.file("out.mbox")
        var generator = MessageGenerator(seed: 11)
        let samples = (0..<40).map { _ in generator.next(crlf: false) }
        let appender = try MboxAppender(path: path, compressed: false)
        for sample in samples {
            try appender.append(
                MessageData(sample.bytes), flags: sample.flags, internalDate: sample.internalDate, sender: "s@example.org",
                defaultDate: Self.date)
        }
        try appender.commit()
        appender.close()
        let back = try readFile(path)
        #expect(back.count == samples.count)
        for (sample, message) in zip(samples, back) {
            #expect(try message.data.loadAll() == sample.bytes)
            #expect(message.flags == sample.flags)
            #expect(message.fromLine.date == sample.internalDate)
            #expect(message.fromLine.sender == "s@example.org")
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
        #expect(!FileManager.default.fileExists(atPath: path + ".mailferry-journal"))
    }

    @Test("appends after existing bytes without changing them, adding the blank line mbox needs")
    func appendKeepsExistingBytes() throws {
        let directory = try TemporaryDirectory("mbox-append")
        defer { directory.remove() }
        let original = "From a Mon Mar  4 09:15:02 2024\nSubject: old\n\nno final newline"
        try directory.write("box", original)
        let appender = try MboxAppender(path: directory.file("box"), compressed: false)
        try appender.append(
            MessageData(Array("Subject: new\nStatus: RO\nX-Keywords: stale\n\nFrom inside\n".utf8)),
            flags: FlagSet([.flagged]), internalDate: Self.date, sender: nil, defaultDate: Self.date)
        try appender.commit()
        appender.close()
        let bytes = try directory.read("box")
        #expect(Array(bytes.prefix(original.utf8.count)) == Array(original.utf8))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("\n\nFrom MAILER-DAEMON Mon Mar  4 09:15:02 2024\nSubject: new\nStatus: O\nX-Status: F\n\n>From inside\n\n"))
        let back = try readFile(directory.file("box"))
        #expect(back.map { String(decoding: try! $0.data.loadAll(), as: UTF8.self) } == ["Subject: old\n\nno final newline\n", "Subject: new\n\nFrom inside\n"])
        #expect(back[1].flags == FlagSet([.flagged]))
    }

    @Test("follows a CRLF file's line endings")
    func crlfFile() throws {
        let directory = try TemporaryDirectory("mbox-crlf")
        defer { directory.remove() }
        try directory.write("box", "From a Mon Mar  4 09:15:02 2024\r\nSubject: old\r\n\r\nx\r\n\r\n")
        let appender = try MboxAppender(path: directory.file("box"), compressed: false)
        try appender.append(
            MessageData(Array("Subject: new\n\nbody\n".utf8)), flags: FlagSet([.seen]), internalDate: Self.date, sender: "a@b",
            defaultDate: Self.date)
        try appender.commit()
        appender.close()
        let text = String(decoding: try directory.read("box"), as: UTF8.self)
        #expect(text.hasSuffix("From a@b Mon Mar  4 09:15:02 2024\r\nSubject: new\r\nStatus: RO\r\n\r\nbody\r\n\r\n"))
    }

    @Test("rollback cuts the file back to its size before the batch")
    func rollback() throws {
        let directory = try TemporaryDirectory("mbox-rollback")
        defer { directory.remove() }
        try directory.write("box", "From a Mon Mar  4 09:15:02 2024\nSubject: old\n\nx\n\n")
        let before = try directory.read("box")
        let appender = try MboxAppender(path: directory.file("box"), compressed: false)
        try appender.append(MessageData(Array("Subject: new\n\nbody\n".utf8)), flags: .empty, internalDate: nil, sender: nil, defaultDate: Self.date)
        #expect(FileManager.default.fileExists(atPath: directory.file("box.mailferry-journal")))
        appender.rollback()
        appender.close()
        #expect(try directory.read("box") == before)
        #expect(!FileManager.default.fileExists(atPath: directory.file("box.mailferry-journal")))
    }

    @Test("an interrupted append is reported with the size to truncate to; a harmless one is cleared")
    func interruptedAppend() throws {
        let directory = try TemporaryDirectory("mbox-journal")
        defer { directory.remove() }
        let content = "From a Mon Mar  4 09:15:02 2024\nSubject: old\n\nx\n\nFrom MAILER-DAEMON Mon Mar  4 09:15:02 2024\nSubj"
        try directory.write("box", content)
        try directory.write("box.mailferry-journal", "48\n")
        #expect {
            try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.2)
        } throws: { error in
            guard let error = error as? MailError else { return false }
            return error.code == .interruptedWrite && error.summary.contains("truncate -s 48")
        }
        try directory.write("box.mailferry-journal", "\(content.utf8.count)\n")
        let appender = try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.2)
        appender.close()
        #expect(!FileManager.default.fileExists(atPath: directory.file("box.mailferry-journal")))
    }

    @Test("waits for another program's dotlock, then gives up with a clear error")
    func dotlock() throws {
        let directory = try TemporaryDirectory("mbox-lock")
        defer { directory.remove() }
        try directory.write("box.lock", "\(getpid()) \(ProcessInfo.processInfo.hostName)\n")
        #expect {
            try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.3)
        } throws: { error in
            (error as? MailError)?.code == .locked && (error as? MailError)?.path == directory.file("box.lock")
        }
        // Giving up must not remove the other program's lock.
        #expect(FileManager.default.fileExists(atPath: directory.file("box.lock")))
        // A lock left by a process that no longer exists is taken over.
        try directory.write("box.lock", "999999999 \(POSIX.hostName())\n")
        let appender = try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.3)
        appender.close()
        #expect(!FileManager.default.fileExists(atPath: directory.file("box.lock")))
    }

    @Test("a stale lock of a killed writer is taken over: empty and old, or a dead pid without a host")
    func staleDotLock() throws {
        let directory = try TemporaryDirectory("mbox-stale-lock")
        defer { directory.remove() }
        // Killed between creating the lock and writing its pid: empty. A fresh one is waited for …
        try directory.write("box.lock", "")
        #expect(throws: MailError.self) {
            try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.2)
        }
        // Giving up leaves the other program's lock where it is.
        #expect(FileManager.default.fileExists(atPath: directory.file("box.lock")))
        // … one older than DotLock.staleAfter is a dead writer's.
        var times = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(directory.file("box.lock"), &times) == 0)
        var appender = try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.2)
        appender.close()
        #expect(!FileManager.default.fileExists(atPath: directory.file("box.lock")))
        // The pid alone (liblockfile's format) of a process that is gone.
        try directory.write("box.lock", "999999999\n")
        appender = try MboxAppender(path: directory.file("box"), compressed: false, lockTimeout: 0.2)
        appender.close()
        #expect(!FileManager.default.fileExists(atPath: directory.file("box.lock")))
    }

    @Test("gzip files grow by one member per batch and read back as one stream")
    func gzipAppend() throws {
        let directory = try TemporaryDirectory("mbox-gz")
        defer { directory.remove() }
        let path = directory.file("box.mbox.gz")
        for batch in 0..<3 {
            let appender = try MboxAppender(path: path, compressed: true)
            for index in 0..<4 {
                try appender.append(
                    MessageData(Array("Subject: \(batch)-\(index)\n\nFrom body\n".utf8)), flags: FlagSet([.seen]),
                    internalDate: Self.date, sender: nil, defaultDate: Self.date)
            }
            try appender.commit()
            appender.close()
        }
        #expect(MboxFile.isCompressed(path))
        let back = try readFile(path)
        #expect(back.count == 12)
        #expect(back.last.map { String(decoding: try! $0.data.loadAll(), as: UTF8.self) } == "Subject: 2-3\n\nFrom body\n")
        #expect(back.allSatisfy { $0.flags == FlagSet([.seen]) })
    }

    @Test("a truncated gzip file yields the complete messages and reports the cut one")
    func truncatedGzip() throws {
        let directory = try TemporaryDirectory("mbox-gz-cut")
        defer { directory.remove() }
        let path = directory.file("box.gz")
        let appender = try MboxAppender(path: path, compressed: true)
        for index in 0..<50 {
            try appender.append(
                MessageData(Array("Subject: \(index)\n\n\(String(repeating: "line \(index) of text\n", count: 200))".utf8)),
                flags: .empty, internalDate: Self.date, sender: nil, defaultDate: Self.date)
        }
        try appender.commit()
        appender.close()
        let bytes = try directory.read("box.gz")
        try directory.write("box.gz", Array(bytes.prefix(bytes.count * 2 / 3)))
        let reader = MboxReader(input: try MboxFile.openForReading(path, lockTimeout: 1))
        var messages = 0
        var failures: [MailError] = []
        while let item = try reader.next() {
            switch item {
            case .message: messages += 1
            case .failure(let error): failures.append(error)
            }
        }
        #expect(messages > 0 && messages < 50)
        #expect(failures.count == 1)
        #expect(failures.first?.code == .truncatedMessage)
        #expect(failures.first?.messageNumber == messages + 1)
    }
}
