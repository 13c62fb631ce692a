import Foundation
import MailArchive
import MailCore
import MailTesting
import Testing

@Suite(.serialized) struct ArchiveVolumeTests {
    private func samples(_ count: Int, seed: UInt64 = 7) -> [ArchiveVolumeWriter.Message] {
        var generator = MessageGenerator(seed: seed)
        let folders = [FolderPath.inbox, FolderPath(["Archive", "2019"])!, FolderPath(["Entwürfe"])!]
        return (0..<count).map { index in
            let sample = generator.next()
            var flags = sample.flags
            if index % 3 == 0, let keyword = Keyword("$Label\(index % 2)") { flags.insert(.keyword(keyword)) }
            return ArchiveVolumeWriter.Message(
                data: MessageData(sample.bytes), folder: folders[index % folders.count], flags: flags,
                internalDate: Date(timeIntervalSince1970: sample.internalDate.timeIntervalSince1970.rounded(.down)),
                key: "key-\(index)", messageID: sample.messageID, fingerprint: Fingerprint.of(sample.bytes))
        }
    }

    @Test(arguments: ArchiveFormat.allCases)
    func writesVerifiesAndReadsBack(format: ArchiveFormat) throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let path = directory.file("mail.\(format.fileExtension)")
        let messages = samples(12)
        // One message larger than a read chunk, from a file, to cover streaming.
        let large = Array(repeating: Array("Subject: big\n\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 700_000), count: 1)[0]
        try directory.write("large.eml", large)
        var all = messages
        all.append(
            .init(
                data: MessageData(file: FileSegment(path: directory.file("large.eml"), length: large.count)), folder: .inbox,
                flags: FlagSet(system: [.seen]), internalDate: Date(timeIntervalSince1970: 1_500_000_000), key: "large",
                messageID: nil, fingerprint: Fingerprint.of(large)))
        let volume = ArchiveVolumeWriter(finalPath: path, format: format)
        var members: [String] = []
        for message in all { members.append(try volume.add(message).member) }
        let summary = try #require(try volume.commit())
        #expect(summary.messages == all.count)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }.isEmpty)

        let check = try ArchiveVerifier.verify(path: path)
        #expect(check.isIntact)
        #expect(check.messages == all.count)
        let byMember = Dictionary(uniqueKeysWithValues: check.entries.map { ($0.member, $0) })
        for (message, member) in zip(all, members) {
            let entry = try #require(byMember[member])
            #expect(entry.folderPath == message.folder)
            #expect(entry.flagSet == message.flags)
            #expect(entry.internalDate == message.internalDate)
            #expect(entry.key == message.key)
            // Message-ID, size and SHA-256 are what the message's own bytes give.
            let bytes = try message.data.loadAll()
            #expect(entry.messageID == HeaderScanner.scan(bytes).messageID)
            #expect(entry.size == bytes.count)
            #expect(entry.sha256 == SHA256.hash(bytes).hexString)
        }
        #expect(check.entries.compactMap(\.messageID).count == messages.count)
        // Bytes come back exactly, member by member.
        let reader = try ArchiveReader(path: path)
        var found = 0
        while let entry = try reader.next() {
            guard let index = members.firstIndex(of: entry.name.path) else { continue }
            #expect(try reader.readAll(maximum: 1 << 20) == all[index].data.loadAll())
            found += 1
        }
        #expect(found == all.count)
    }

    @Test func anEmptyVolumeWritesNothing() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let volume = ArchiveVolumeWriter(finalPath: directory.file("none.tar.zst"), format: .tarZstd)
        #expect(try volume.commit() == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func anAbandonedVolumeLeavesNoFile() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let volume = ArchiveVolumeWriter(finalPath: directory.file("cut.tar.zst"), format: .tarZstd)
        for message in samples(3) { _ = try volume.add(message) }
        volume.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aPreparedVolumeGetsItsNameOnlyFromCommit() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let path = directory.file("ready.tar.zst")
        let volume = ArchiveVolumeWriter(finalPath: path, format: .tarZstd)
        for message in samples(4) { _ = try volume.add(message) }
        #expect(try volume.prepare())
        #expect(try volume.prepare())  // a second call repeats the first's outcome
        #expect(!FileManager.default.fileExists(atPath: path))
        // A finished volume takes no more messages (it would be written over, unverified).
        #expect(throws: MailError.self) { try volume.add(samples(1, seed: 9)[0]) }
        let summary = try #require(try volume.commit())
        #expect(summary.messages == 4)
        #expect(try ArchiveVerifier.verify(path: path).isIntact)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ready.tar.zst"])
    }

    @Test func aPreparedVolumeThatIsNeverCommittedLeavesNoFile() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let volume = ArchiveVolumeWriter(finalPath: directory.file("dropped.tar.zst"), format: .tarZstd)
        for message in samples(3) { _ = try volume.add(message) }
        #expect(try volume.prepare())
        let temporary = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!temporary.isEmpty && temporary.allSatisfy { $0.hasPrefix(".") })
        volume.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aRefusedPublishFailsEveryLaterCommit() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let path = directory.file("lost.tar.zst")
        let volume = ArchiveVolumeWriter(finalPath: path, format: .tarZstd)
        for message in samples(3) { _ = try volume.add(message) }
        // The temporary file is replaced behind the writer's back: preparing still verifies the
        // file it wrote (open descriptors), but publishing must refuse the stranger.
        #expect(try volume.prepare())
        let temporary = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".mailferry-partial") })
        // Moved away (so its inode stays taken), and a stranger put under its name.
        try FileManager.default.moveItem(atPath: directory.file(temporary), toPath: directory.file("moved-away"))
        try directory.write(temporary, Array("not an archive".utf8))
        #expect(throws: MailError.self) { try volume.commit() }
        #expect(throws: MailError.self) { try volume.commit() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func anExistingArchiveIsNeverOverwritten() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        try directory.write("mail.tar.zst", "precious")
        let volume = ArchiveVolumeWriter(finalPath: directory.file("mail.tar.zst"), format: .tarZstd)
        #expect(throws: MailError.self) { _ = try volume.add(samples(1)[0]) }
        #expect(try directory.read("mail.tar.zst") == Array("precious".utf8))
    }

    @Test func aMessageWhoseFileVanishedFailsAloneAndTheVolumeCompletes() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let volume = ArchiveVolumeWriter(finalPath: directory.file("mail.tar.zst"), format: .tarZstd)
        let messages = samples(3)
        _ = try volume.add(messages[0])
        var gone = messages[1]
        gone.data = MessageData(file: FileSegment(path: directory.file("renamed-by-a-mail-client"), length: 2_000_000))
        #expect { _ = try volume.add(gone) } throws: { ($0 as? MailError)?.scope == .message }
        _ = try volume.add(messages[2])
        let summary = try #require(try volume.commit())
        #expect(summary.messages == 2)
        #expect(try ArchiveVerifier.verify(path: directory.file("mail.tar.zst")).isIntact)
    }

    @Test func verifyReportsATamperedMember() throws {
        let directory = try TemporaryDirectory("archive")
        defer { directory.remove() }
        let path = directory.file("mail.tar")
        let volume = ArchiveVolumeWriter(finalPath: path, format: .tar)
        let messages = samples(2)
        for message in messages { _ = try volume.add(message) }
        try volume.commit()
        // Flip one byte of the first message's body inside the uncompressed tar.
        var bytes = try directory.read("mail.tar")
        let body = try messages[0].data.loadAll()
        let needle = Array(body.suffix(20))
        let range = try #require(bytes.firstRange(of: needle))
        bytes[range.lowerBound] ^= 0x20
        try directory.write("mail.tar", bytes)
        let check = try ArchiveVerifier.verify(path: path)
        #expect(!check.isIntact)
        #expect(check.problems.count == 1)
        #expect(check.problems.first?.contains("SHA-256") == true)
    }
}
