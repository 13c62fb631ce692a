import Foundation
import MailCore
import Synchronization

/// A store held in memory, for engine tests: a source that can be told to fail a message or a
/// folder, and a sink with chosen capabilities that can be told to reject messages.
public final class InMemoryStore: MessageSource, MessageSink {
    public struct StoredItem: Sendable {
        public var bytes: [UInt8]
        public var flags: FlagSet
        public var internalDate: Date?

        public init(bytes: [UInt8], flags: FlagSet = .empty, internalDate: Date? = nil) {
            self.bytes = bytes
            self.flags = flags
            self.internalDate = internalDate
        }
    }

    private struct State {
        var folders: [FolderPath: [StoredItem]] = [:]
        var order: [FolderPath] = []
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

    /// Adds messages to a folder (creating it).
    public func add(_ items: [StoredItem], to folder: FolderPath) {
        state.withLock { state in
            if state.folders[folder] == nil { state.order.append(folder) }
            state.folders[folder, default: []] += items
        }
    }

    /// The messages of a folder, in the order stored.
    public func items(in folder: FolderPath) -> [StoredItem] {
        state.withLock { $0.folders[folder] ?? [] }
    }

    public var folderPaths: [FolderPath] { state.withLock { $0.order } }

    public func listFolders() async throws -> [FolderInfo] {
        state.withLock { state in
            state.order.map { path in
                let items = state.folders[path] ?? []
                return FolderInfo(path: path, messageCount: items.count, byteCount: items.reduce(0) { $0 + $1.bytes.count })
            }
        }
    }

    public func status(of folder: FolderInfo) async throws -> FolderStatus {
        let items = self.items(in: folder.path)
        return FolderStatus(messages: items.count, bytes: items.reduce(0) { $0 + $1.bytes.count })
    }

    public func messages(in folder: FolderInfo) async throws -> MessageStream {
        if failingFolders.contains(folder.path) {
            throw MailError.folder(.unreadable, "folder cannot be read (test)", folder: folder.path)
        }
        return MessageStream(Reader(items: items(in: folder.path), folder: folder.path, failing: failingMessages))
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
        let failing: Set<Int>
        var index = 0
        var bytesConsumed = 0

        init(items: [StoredItem], folder: FolderPath, failing: Set<Int>) {
            self.items = items
            self.folder = folder
            self.failing = failing
        }

        func next() async throws -> SourceItem? {
            guard index < items.count else { return nil }
            let item = items[index]
            index += 1
            bytesConsumed += item.bytes.count
            if failing.contains(index) {
                return .failure(.malformedMessage("unreadable (test)", key: "\(index)", number: index))
            }
            return .message(
                MessageEnvelope(
                    bytes: item.bytes, folder: folder, key: SourceKey("\(index)"), number: index, flags: item.flags,
                    internalDate: item.internalDate))
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
                store.add([StoredItem(bytes: bytes, flags: kept, internalDate: envelope.internalDate)], to: folder)
                store.storedCount.add(1, ordering: .relaxed)
                outcomes.append(.stored(StoredMessage(reference: "\(folder.displayName)#\(store.items(in: folder).count)", droppedFlags: dropped)))
            }
            return outcomes
        }

        func close() async throws {}
    }
}
