import Foundation
import MailArchive
import MailCore
import MailTesting
import Testing

/// Archives built to escape or exhaust: every one is refused with an `unsafe-archive` error that
/// names the member, before any of its bytes are used.
@Suite(.serialized) struct HostileArchiveTests {
    private func readAll(_ path: String, limits: ArchiveLimits = .standard) throws {
        let reader = try ArchiveReader(path: path, limits: limits)
        while try reader.next() != nil { try reader.forEachChunk { _ in } }
    }

    private func expectRefusal(_ path: String, mentioning text: String, limits: ArchiveLimits = .standard) {
        do {
            try readAll(path, limits: limits)
            Issue.record("\(path) was accepted")
        } catch let error as MailError {
            #expect(error.code == .unsafeArchive)
            #expect(error.description.contains(text), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Writes an archive whose members have the given (unchecked) names.
    private func archive(_ directory: TemporaryDirectory, _ name: String, members: [String]) throws -> String {
        let path = directory.file(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let writer = try ArchiveWriter(fd: fd, path: path, format: try ArchiveFormat.from(path: name))
        for member in members { try writer.add(name: member, modified: nil, bytes: Array("Subject: x\n\nhi\n".utf8)) }
        try writer.finish()
        return path
    }

    @Test(arguments: ["slip.tar.gz", "slip.zip"])
    func zipSlipIsRefused(name: String) throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        expectRefusal(try archive(directory, name, members: ["Maildir/cur/ok", "../../etc/cron.d/evil"]), mentioning: "../../etc/cron.d/evil")
    }

    @Test func absolutePathsAreRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        expectRefusal(try archive(directory, "abs.tar", members: ["/etc/passwd"]), mentioning: "absolute")
    }

    @Test func repeatedNamesAreRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        expectRefusal(try archive(directory, "twice.tar.zst", members: ["a/cur/1", "a/cur/1"]), mentioning: "repeats")
    }

    @Test func symlinksAndHardlinksAreRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("tree/cur"), withIntermediateDirectories: true)
        try directory.write("tree/cur/real", "Subject: x\n\nhi\n")
        try FileManager.default.createSymbolicLink(atPath: directory.file("tree/cur/link"), withDestinationPath: "/etc/passwd")
        #expect(try runTool("/usr/bin/tar", ["-C", directory.file("tree"), "-cf", directory.file("sym.tar"), "cur"]) == 0)
        expectRefusal(directory.file("sym.tar"), mentioning: "symbolic link")

        try FileManager.default.removeItem(atPath: directory.file("tree/cur/link"))
        try FileManager.default.linkItem(atPath: directory.file("tree/cur/real"), toPath: directory.file("tree/cur/hard"))
        #expect(try runTool("/usr/bin/tar", ["-C", directory.file("tree"), "-cf", directory.file("hard.tar"), "cur"]) == 0)
        expectRefusal(directory.file("hard.tar"), mentioning: "hard link")
    }

    @Test func aCompressionBombIsStopped() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        // 48 MiB of zeros (a sparse file) compresses to a few kilobytes; the allowance before the
        // ratio applies is lowered from 64 MiB to 4 MiB to keep the test light.
        let zeros = directory.file("zeros")
        #expect(FileManager.default.createFile(atPath: zeros, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: zeros))
        try handle.truncate(atOffset: 48 << 20)
        try handle.close()
        let path = directory.file("bomb.tar.zst")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let writer = try ArchiveWriter(fd: fd, path: path, format: .tarZstd)
        try writer.add(name: "Maildir/cur/bomb", modified: nil, data: MessageData(file: FileSegment(path: zeros, length: 48 << 20)))
        try writer.finish()
        close(fd)
        var limits = ArchiveLimits.standard
        limits.ratioAllowance = 4 << 20
        expectRefusal(path, mentioning: "compression bomb", limits: limits)
        // And an entry over the size limit is refused from its header.
        limits.maximumEntrySize = 1 << 20
        expectRefusal(path, mentioning: "over the limit", limits: limits)
    }

    /// A one-member ustar archive, written by hand: `typeflag` `3` is a character device, `4` a
    /// block device, `6` a FIFO (making real ones needs root).
    private func specialFileArchive(_ directory: TemporaryDirectory, typeflag: Character, name: String) throws -> String {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { header.replaceSubrange(offset..<offset + text.utf8.count, with: Array(text.utf8)) }
        put(name, at: 0)
        put("0000644", at: 100)  // mode
        put("0000000", at: 108)  // uid
        put("0000000", at: 116)  // gid
        put("00000000000", at: 124)  // size
        put("14000000000", at: 136)  // mtime
        put("        ", at: 148)  // checksum, counted as spaces
        put(String(typeflag), at: 156)
        put("ustar\u{0}00", at: 257)
        put("0000001", at: 329)  // device major
        put("0000003", at: 337)  // device minor
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(String(checksum, radix: 8).leftPadded(to: 6) + "\u{0} ", at: 148)
        try directory.write("special.tar", header + [UInt8](repeating: 0, count: 1024))
        return directory.file("special.tar")
    }

    @Test("device and FIFO members are refused", arguments: ["3", "4", "6"] as [Character])
    func devicesAndPipesAreRefused(typeflag: Character) throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        let path = try specialFileArchive(directory, typeflag: typeflag, name: "Maildir/cur/null")
        expectRefusal(path, mentioning: "member \"Maildir/cur/null\" is a device, pipe or socket")
    }

    @Test func moreThanTheTotalBytesCapIsRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        let path = try archive(directory, "total.tar.gz", members: (1...40).map { "Maildir/cur/\($0)" })
        try readAll(path)  // accepted under the standard caps
        var limits = ArchiveLimits.standard
        limits.maximumTotalBytes = 300
        expectRefusal(path, mentioning: "holds more than 300 bytes", limits: limits)
    }

    @Test("a zip member whose CRC does not match its bytes is refused, not read as good")
    func aBadZipChecksumIsRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        let path = try archive(directory, "crc.zip", members: ["mail/1.eml"])
        try readAll(path)  // intact: accepted
        // Every copy of the member's CRC-32 (local header, data descriptor, central directory) changed.
        var bytes = try directory.read("crc.zip")
        let central = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) })
        let crc = Array(bytes[central + 16..<central + 20])
        var changed = 0
        for index in 0..<(bytes.count - 3) where bytes[index..<index + 4].elementsEqual(crc) {
            bytes[index] ^= 0xFF
            changed += 1
        }
        #expect(changed >= 1)
        try directory.write("crc.zip", bytes)
        #expect {
            try readAll(path)
        } throws: { error in
            "\(error)".contains("cannot read member \"mail/1.eml\"")
        }
    }

    @Test func tooManyMembersAreRefused() throws {
        let directory = try TemporaryDirectory("hostile")
        defer { directory.remove() }
        var limits = ArchiveLimits.standard
        limits.maximumEntries = 3
        expectRefusal(
            try archive(directory, "many.tar", members: (1...5).map { "Maildir/cur/\($0)" }), mentioning: "more than 3",
            limits: limits)
    }
}

extension String {
    /// The string with `0`s in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
