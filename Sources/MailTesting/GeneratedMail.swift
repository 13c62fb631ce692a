import MailCore

/// Stores `count` generated messages in each named folder of `sink` (levels separated by `/`)
/// and returns them by folder display name. NUL bytes are removed: IMAP cannot carry them
/// without BINARY. The same seed and folder list always give the same messages.
@discardableResult
public func storeGeneratedMessages(
    into sink: any MessageSink, folders: [(String, Int)], seed: UInt64
) async throws -> [String: [MessageEnvelope]] {
    var generator = MessageGenerator(seed: seed)
    var stored: [String: [MessageEnvelope]] = [:]
    for (name, count) in folders {
        let folder = FolderPath(parsing: name, delimiter: "/")!
        let writer = try await sink.openFolder(folder, subscribe: true)
        let envelopes = (0..<count).map { index in
            let sample = generator.next()
            return MessageEnvelope(
                bytes: sample.bytes.filter { $0 != 0 }, folder: folder, key: SourceKey("\(index)"), flags: sample.flags,
                internalDate: sample.internalDate)
        }
        _ = try await writer.store(envelopes)
        try await writer.close()
        stored[folder.displayName] = envelopes
    }
    return stored
}
