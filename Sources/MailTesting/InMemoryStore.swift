import Foundation
import MailCore
import Synchronization

/// A store held in memory, for engine tests: a source that can be told to fail a message or a
/// folder, and a sink with chosen capabilities that can be told to reject messages.
///
/// Like an IMAP server, every message gets a UID (its key is `generation:uid`) and every folder a
/// generation (its UIDVALIDITY) that ``recreate(_:)`` changes.
public final class InMemoryStore: MessageSource, MessageSink {
    public struct StoredItem: Sendable {
        public var bytes: [UInt8]
        public var flags: FlagSet
        public var internalDate: Date?
        /// Assigned when the item is added.
        public internal(set) var uid: UInt32 = 0

        public init(bytes: [UInt8], flags: FlagSet = .empty, internalDate: Date? = nil) {
            self.bytes = bytes
            self.flags = flags
            self.internalDate = internalDate
        }
    }

    private struct State {
        var folders: [FolderPath: [StoredItem]] = [:]
        var order: [FolderPath] = []
        var generation: [FolderPath: UInt32] = [:]
        var nextUID: [FolderPath: UInt32] = [:]
        var nextGeneration: UInt32 = 1
    }

    public let displayName: String
    public let capabilities: StoreCapabilities
    /// Source: message numbers (1-based, per folder) that read as a `.failure`.
    public let failingMessages: Set<Int>
    /// Source and sink: folders that fail to open.
    public let failingFolders: Set<FolderPath>
    /// Sink: messages whose bytes contain this marker are rejected.
    public let rejectMarker: String?
    /// Sink: throw a store-scoped error after this many stored messages.
    public let failStoreAfter: Int?
    private let state = Mutex(State())
    private let storedCount = Atomic<Int>(0)

    public init(
        name: String = "memory:", capabilities: StoreCapabilities = StoreCapabilities(),
        failingMessages: Set<Int> = [], failingFolders: Set<FolderPath> = [], rejectMarker: String? = nil,
        failStoreAfter: Int? = nil
    ) {
        self.displayName = name
        self.capabilities = capabilities
        self.failingMessages = failingMessages
        self.failingFolders = failingFolders
        self.rejectMarker = rejectMarker
        self.failStoreAfter = failStoreAfter
    }

    /// Adds messages to a folder (creating it); returns their UIDs.
    @discardableResult
    public func add(_ items: [StoredItem], to folder: FolderPath) -> [UInt32] {
        state.withLock { state in
            if state.folders[folder] == nil {
                state.order.append(folder)
                state.generation[folder] = state.nextGeneration
                state.nextGeneration += 1
            }
            var uids: [UInt32] = []
            for var item in items {
                item.uid = state.nextUID[folder, default: 1]
                state.nextUID[folder] = item.uid + 1
                uids.append(item.uid)
                state.folders[folder, default: []].append(item)
            }
            if state.folders[folder] == nil { state.folders[folder] = [] }
            return uids
        }
    }

    /// Deletes a folder's messages and gives it a new generation (as deleting and creating an
    /// IMAP folder gives it a new UIDVALIDITY); `keeping` are added back with new UIDs.
    public func recreate(_ folder: FolderPath, keeping items: [StoredItem]? = nil) {
        let kept = items ?? self.items(in: folder)
        state.withLock { state in
            state.folders[folder] = []
            state.generation[folder] = state.nextGeneration
            state.nextGeneration += 1
            state.nextUID[folder] = 1
        }
        add(kept, to: folder)
    }

    /// Changes the flags of the `index`-th message (0-based) of a folder.
    public func setFlags(_ flags: FlagSet, folder: FolderPath, index: Int) {
        state.withLock { $0.folders[folder]?[index].flags = flags }
    }

    /// Removes messages from a folder.
    public func remove(folder: FolderPath, where shouldRemove: (StoredItem) -> Bool) {
        state.withLock { $0.folders[folder]?.removeAll(where: shouldRemove) }
    }

    func generation(of folder: FolderPath) -> UInt32 { state.withLock { $0.generation[folder] ?? 0 } }

    /// The messages of a folder, in the order stored.
    public func items(in folder: FolderPath) -> [StoredItem] {
        state.withLock { $0.folders[folder] ?? [] }
    }

    public var folderPaths: [FolderPath] { state.withLock { $0.order } }

    public func listFolders() async throws -> [FolderInfo] {
        state.withLock { state in
            state.order.map { path in
                let items = state.folders[path] ?? []
                let generation = state.generation[path] ?? 0
                let flagsHash = items.reduce(into: Hasher()) { $0.combine($1.flags) }.finalize()
                return FolderInfo(
                    path: path, messageCount: items.count, byteCount: items.reduce(0) { $0 + $1.bytes.count },
                    validity: String(generation),
                    contentToken: "\(generation)/\(state.nextUID[path] ?? 1)/\(items.count)",
                    flagToken: "\(generation)/\(flagsHash)")
            }
        }
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        let items = self.items(in: folder.path)
        return FolderStatus(messages: items.count, bytes: items.reduce(0) { $0 + $1.bytes.count })
    }

    public func messages(in folder: FolderInfo, selection: MessageSelection) async throws -> MessageStream {
        if failingFolders.contains(folder.path) {
            throw MailError.folder(.unreadable, "folder cannot be read (test)", folder: folder.path)
        }
        let generation = generation(of: folder.path)
        return MessageStream(
            Reader(
                items: items(in: folder.path), folder: folder.path, generation: generation, failing: failingMessages,
                selection: selection))
    }

    public func flags(in folder: FolderInfo, changedSince token: String?) async throws -> FlagListing? {
        let generation = generation(of: folder.path)
        return FlagListing(
            entries: items(in: folder.path).map { FlagListing.Entry(key: SourceKey("\(generation):\($0.uid)"), flags: $0.flags) },
            isComplete: true, token: nil)
    }

    public func openFolder(_ path: FolderPath, subscribe: Bool) async throws -> any FolderWriter {
        if failingFolders.contains(path) {
            throw MailError.folder(.unwritable, "folder cannot be created (test)", folder: path)
        }
        add([], to: path)
        return Writer(store: self, folder: path)
    }

    public func close() async {}

    final class Reader: MessageReader {
        let items: [StoredItem]
        let folder: FolderPath
        let generation: UInt32
        let failing: Set<Int>
        let selection: MessageSelection
        var index = 0
        var bytesConsumed = 0

        init(items: [StoredItem], folder: FolderPath, generation: UInt32, failing: Set<Int>, selection: MessageSelection) {
            self.items = items
            self.folder = folder
            self.generation = generation
            self.failing = failing
            self.selection = selection
        }

        func next() async throws -> SourceItem? {
            while index < items.count {
                let item = items[index]
                index += 1
                let key = SourceKey("\(generation):\(item.uid)")
                guard selection.includes(key) else { continue }
                bytesConsumed += item.bytes.count
                if failing.contains(index) {
                    return .failure(.malformedMessage("unreadable (test)", key: key.value, number: index))
                }
                return .message(
                    MessageEnvelope(
                        bytes: item.bytes, folder: folder, key: key, number: index, flags: item.flags,
                        internalDate: item.internalDate))
            }
            return nil
        }

        func close() {}
    }

    final class Writer: FolderWriter {
        let store: InMemoryStore
        let folder: FolderPath
        var location: String { "memory:\(folder.displayName)" }

        init(store: InMemoryStore, folder: FolderPath) {
            self.store = store
            self.folder = folder
        }

        func store(_ batch: [MessageEnvelope]) async throws -> [DeliveryOutcome] {
            var outcomes: [DeliveryOutcome] = []
            for envelope in batch {
                if let limit = store.failStoreAfter, store.storedCount.load(ordering: .relaxed) >= limit {
                    throw MailError.store(.noSpace, "store is full (test)")
                }
                let bytes = try envelope.data.loadAll()
                if let marker = store.rejectMarker, String(decoding: bytes, as: UTF8.self).contains(marker) {
                    outcomes.append(.failed(MailError(.tooLarge, scope: .message, retry: .never, "rejected (test)")))
                    continue
                }
                var kept = envelope.flags
                var dropped = FlagSet()
                if case .none = store.capabilities.keywords {
                    kept.keywords = []
                } else if case .limited(let limit) = store.capabilities.keywords, kept.keywords.count > limit {
                    let sorted = kept.keywords.sorted()
                    kept.keywords = Set(sorted.prefix(limit))
                    dropped.keywords = Set(sorted.dropFirst(limit))
                }
                kept.system.formIntersection(store.capabilities.systemFlags)
                let uid = store.add([StoredItem(bytes: bytes, flags: kept, internalDate: envelope.internalDate)], to: folder)[0]
                store.storedCount.add(1, ordering: .relaxed)
                outcomes.append(.stored(StoredMessage(reference: "\(store.generation(of: folder)):\(uid)", droppedFlags: dropped)))
            }
            return outcomes
        }

        func close() async throws {}

        var validity: String? { String(store.generation(of: folder)) }

        func position() async throws -> String? {
            let next = store.state.withLock { $0.nextUID[folder] ?? 1 }
            return "\(store.generation(of: folder)):\(next)"
        }

        func locate(_ messages: [PendingMessage]) async throws -> [SourceKey: String] {
            let generation = store.generation(of: folder)
            var available = store.items(in: folder).map { (uid: $0.uid, fingerprint: Fingerprint.of($0.bytes)) }
            var found: [SourceKey: String] = [:]
            for message in messages {
                var from: UInt32 = 1
                if let position = message.position, let colon = position.firstIndex(of: ":"),
                    position[..<colon] == String(generation)
                {
                    from = UInt32(position[position.index(after: colon)...]) ?? 1
                }
                if let index = available.firstIndex(where: { $0.uid >= from && $0.fingerprint == message.record.fingerprint }) {
                    found[message.record.key] = "\(generation):\(available[index].uid)"
                    available.remove(at: index)
                }
            }
            return found
        }

        func existingMessages() async throws -> [StoredIdentity] {
            let generation = store.generation(of: folder)
            return store.items(in: folder).map { item in
                let envelope = MessageEnvelope(bytes: item.bytes, folder: folder, key: SourceKey(""))
                return StoredIdentity(
                    reference: "\(generation):\(item.uid)", messageID: envelope.messageID,
                    crlfSize: (try? envelope.data.crlfSize()) ?? item.bytes.count, internalDate: item.internalDate,
                    fingerprint: envelope.messageID == nil ? envelope.fingerprint : nil)
            }
        }

        func updateFlags(_ changes: [(reference: String, flags: FlagSet)]) async throws -> [String?] {
            let generation = store.generation(of: folder)
            return changes.map { change in
                let parts = change.reference.split(separator: ":")
                guard parts.count == 2, parts[0] == String(generation), let uid = UInt32(parts[1]) else { return nil }
                return store.state.withLock { state -> String? in
                    guard let index = state.folders[folder]?.firstIndex(where: { $0.uid == uid }) else { return nil }
                    state.folders[folder]?[index].flags = change.flags
                    return change.reference
                }
            }
        }
    }
}
