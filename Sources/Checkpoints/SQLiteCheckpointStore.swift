import Foundation
import GRDB
import MailCore
import Synchronization

/// MailCore's ``CheckpointStore`` over one SQLite database per job (GRDB), in WAL mode.
///
/// Every call is in the database when it returns, so a killed process loses nothing. Against a
/// power cut, `markInFlight` commits with `synchronous = FULL` — it has reached the disk before
/// the sink is written — and everything else with `NORMAL`: the WAL is written in order, so the
/// next in-flight commit makes all earlier ones durable, and what a power cut could take (done
/// marks of the last batches) is resolved against the destination as in-flight work would be.
///
/// Opening is strict: a database that is empty, damaged, written by a newer MailFerry, or made for
/// another job is refused with an error that says so, and so is a missing database whose job file
/// says the job ran before — none of those is ever read as "nothing copied yet".
public final class SQLiteCheckpointStore: CheckpointStore, TransferBudgetStore {
    public let location: String
    public let identity: JobIdentity
    private let database: DatabaseQueue
    private let jobFile: JobFile
    private let runID = Mutex<Int64?>(nil)

    /// Opens the checkpoint at `path` for `identity`, creating it (and its directory) for a job
    /// that has never run. Takes the job's lock for as long as the store is open.
    public init(path: String, identity: JobIdentity) throws {
        location = path
        self.identity = identity
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw MailError(
                    .checkpoint, scope: .store, retry: .never,
                    "cannot create the checkpoint directory: \(error.localizedDescription)", path: directory)
            }
        }
        jobFile = try JobFile(path: CheckpointLocation.jobFile(for: path))
        let recorded: JobFile.Contents?
        do {
            recorded = try jobFile.contents()
        } catch {
            throw Self.refusal("its job file \(jobFile.path) is not readable (\(error))", path: path)
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if let recorded, recorded.identity != identity {
            throw Self.refusal("it belongs to another job (\(recorded.identity.summary))", path: path)
        }
        if !exists && recorded != nil {
            throw Self.refusal(
                "the database is missing, but its job file says this job ran before (\(jobFile.path)). Copying again "
                    + "from scratch could duplicate messages; restore the database, or delete the job file to start over",
                path: path)
        }
        if exists, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            throw Self.refusal("the database file is empty (0 bytes); restore it, or delete it and \(jobFile.path) to start over", path: path)
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "MailFerry checkpoint"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write { db in
                if exists {
                    let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                    guard check == ["ok"] else {
                        throw Self.refusal("SQLite finds it damaged: \(check.prefix(3).joined(separator: "; "))", path: path)
                    }
                    guard try db.tableExists("job"), let row = try Row.fetchOne(db, sql: "SELECT source, destination, identity FROM job WHERE id = 1")
                    else {
                        throw Self.refusal("it holds no job record: it is not a MailFerry checkpoint, or it was truncated", path: path)
                    }
                    let stored = try? JSONDecoder().decode(JobIdentity.self, from: Data((row["identity"] as String).utf8))
                    guard stored == identity else {
                        throw Self.refusal("it belongs to another job (\(row["source"] as String) → \(row["destination"] as String))", path: path)
                    }
                    if try CheckpointSchema.migrator.hasBeenSuperseded(db) {
                        throw Self.refusal("it was written by a newer MailFerry; use that version", path: path)
                    }
                }
            }
            try CheckpointSchema.migrator.migrate(database)
            if !exists {
                let text = String(decoding: try JSONEncoder().encode(identity), as: UTF8.self)
                try database.write { db in
                    try db.execute(
                        sql: "INSERT INTO job (id, job_id, source, destination, identity, created_at, created_by) VALUES (1, ?, ?, ?, ?, ?, ?)",
                        arguments: [identity.id, identity.source, identity.destination, text, Date().timeIntervalSince1970,
                            "mailferry \(MailFerryVersion.current)"])
                }
            }
            try jobFile.write(JobFile.Contents(identity: identity, created: recorded?.created ?? Date()))
        } catch let error as MailError {
            throw error
        } catch let error as DatabaseError {
            throw Self.openingError(error, path: path)
        } catch {
            throw Self.refusal("\(error)", path: path)
        }
    }

    /// A damaged file is refused for good; a full disk or an unwritable directory may clear.
    static func openingError(_ error: DatabaseError, path: String) -> MailError {
        let text = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT, .SQLITE_SCHEMA:
            return refusal("SQLite finds it damaged: \(text)", path: path)
        case .SQLITE_FULL:
            return MailError(.noSpace, scope: .store, retry: .later, "cannot open the checkpoint: the disk is full (\(text))", path: path)
        default:
            return MailError(
                .checkpoint, scope: .store, retry: .later,
                "cannot open the checkpoint: \(text) (is the disk full, or the directory not writable?)", path: path)
        }
    }

    static func refusal(_ reason: String, path: String) -> MailError {
        MailError(.checkpoint, scope: .store, retry: .never, "refusing the checkpoint: \(reason)", path: path)
    }

    // MARK: - Runs

    public func beginRun(at date: Date) async throws {
        let id = try await write { db -> Int64 in
            try db.execute(
                sql: "INSERT INTO run (started_at, mailferry_version) VALUES (?, ?)",
                arguments: [date.timeIntervalSince1970, MailFerryVersion.current])
            return db.lastInsertedRowID
        }
        runID.withLock { $0 = id }
    }

    public func finishRun(_ summary: RunSummary) async throws {
        guard let id = runID.withLock({ $0 }) else { return }
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE run SET finished_at = ?, outcome = ?, copied = ?, failed = ?, skipped = ?, stopped_by = ?
                    WHERE id = ?
                    """,
                arguments: [summary.finishedAt.timeIntervalSince1970, summary.outcome, summary.copied, summary.failed,
                    summary.skipped, summary.stoppedBy, id])
        }
    }

    // MARK: - Folders

    public func folder(source: FolderPath, destination: FolderPath) async throws -> FolderCheckpoint {
        let sourceText = Self.encode(source)
        let destinationText = Self.encode(destination)
        return try await write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO folder (source_path, destination_path, updated_at) VALUES (?, ?, ?)",
                arguments: [sourceText, destinationText, Date().timeIntervalSince1970])
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM folder WHERE source_path = ? AND destination_path = ?",
                arguments: [sourceText, destinationText])
            else { throw Self.refusal("a folder row vanished", path: self.location) }
            var checkpoint = FolderCheckpoint(id: row["id"], state: Self.state(from: row))
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT source_key, state, destination_ref, position, fingerprint, message_id, size, internal_date,
                           flags, failure, retry
                    FROM message WHERE folder_id = ?
                    """,
                arguments: [checkpoint.id])
            while let message = try rows.next() {
                let key = SourceKey(message["source_key"] as String)
                switch message["state"] as String {
                case "done":
                    guard let fingerprint = (message["fingerprint"] as String?).flatMap(Fingerprint.init(hex:)) else { continue }
                    checkpoint.done[key] = DoneSummary(
                        fingerprint: fingerprint, reference: message["destination_ref"] ?? "",
                        flags: Self.flags(message["flags"] as String))
                case "in-flight":
                    guard let record = Self.record(key: key, row: message) else { continue }
                    checkpoint.inFlight.append(PendingMessage(record: record, position: message["position"]))
                default:
                    checkpoint.failed[key] = FailureSummary(
                        reason: message["failure"] ?? "", retry: MailError.Retry(rawValue: message["retry"] ?? "") ?? .never)
                }
            }
            return checkpoint
        }
    }

    public func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview? {
        let sourceText = Self.encode(source)
        let destinationText = Self.encode(destination)
        do {
            return try await database.read { db in try Self.overview(sourceText, destinationText, in: db) }
        } catch let error as DatabaseError {
            throw MailError(
                .checkpoint, scope: .store, retry: .never,
                "cannot read the checkpoint: \(error.message ?? "\(error.resultCode)")", path: location)
        }
    }

    /// A folder pair's state and counts (shared with ``SQLiteCheckpointPreview``).
    static func overview(_ sourceText: String, _ destinationText: String, in db: Database) throws -> FolderOverview? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT * FROM folder WHERE source_path = ? AND destination_path = ?",
            arguments: [sourceText, destinationText])
        else { return nil }
        let id: Int64 = row["id"]
        var overview = FolderOverview(
            state: Self.state(from: row), done: 0, inFlight: 0, retryableFailures: 0, permanentFailures: 0)
        // The state index answers these without reading the rows.
        for count in try Row.fetchAll(
            db, sql: "SELECT state, COUNT(*) AS n FROM message WHERE folder_id = ? GROUP BY state", arguments: [id])
        {
            switch count["state"] as String {
            case "done": overview.done = count["n"]
            case "in-flight": overview.inFlight = count["n"]
            default: break
            }
        }
        for count in try Row.fetchAll(
            db, sql: "SELECT retry, COUNT(*) AS n FROM message WHERE folder_id = ? AND state = 'failed' GROUP BY retry",
            arguments: [id])
        {
            if MailError.Retry(rawValue: count["retry"] ?? "") ?? .never == .never {
                overview.permanentFailures += count["n"] as Int
            } else {
                overview.retryableFailures += count["n"] as Int
            }
        }
        return overview
    }

    public func updateFolder(_ state: FolderState, folder: FolderCheckpoint.ID) async throws {
        try await write { db in try Self.updateFolder(state, folder: folder, in: db) }
    }

    // MARK: - Messages

    public func markInFlight(_ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID) async throws {
        guard !messages.isEmpty else { return }
        try await write(durable: true) { db in try Self.markInFlight(messages, position: position, folder: folder, in: db) }
    }

    public func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID) async throws {
        guard !messages.isEmpty else { return }
        try await write { db in try Self.markDone(messages, folder: folder, in: db) }
    }

    public func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID) async throws {
        guard !failures.isEmpty else { return }
        try await write { db in try Self.markFailed(failures, folder: folder, in: db) }
    }

    public func forget(_ keys: [SourceKey], folder: FolderCheckpoint.ID) async throws {
        guard !keys.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql: "DELETE FROM message WHERE folder_id = ? AND source_key = ? AND state = 'in-flight'")
            for key in keys { try statement.execute(arguments: [folder, key.value]) }
        }
    }

    public func rekey(_ changes: [(old: SourceKey, new: SourceKey)], folder: FolderCheckpoint.ID) async throws {
        guard !changes.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE OR REPLACE message SET source_key = ?, updated_at = ? WHERE folder_id = ? AND source_key = ?")
            let now = Date().timeIntervalSince1970
            for change in changes { try statement.execute(arguments: [change.new.value, now, folder, change.old.value]) }
        }
    }

    public func dropMessages(folder: FolderCheckpoint.ID) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM message WHERE folder_id = ?", arguments: [folder])
            let dropped = db.changesCount
            try db.execute(sql: "UPDATE folder SET highest_ordinal = NULL WHERE id = ?", arguments: [folder])
            return dropped
        }
    }

    public func updateFlags(_ updates: [FlagUpdate], folder: FolderCheckpoint.ID) async throws {
        guard !updates.isEmpty else { return }
        try await write { db in try Self.updateFlags(updates, folder: folder, in: db) }
    }

    /// One transaction for the whole batch, durable when it holds in-flight marks.
    public func apply(_ changes: [CheckpointChange]) async throws {
        guard !changes.isEmpty else { return }
        let durable = changes.contains { if case .inFlight(let messages, _, _) = $0 { !messages.isEmpty } else { false } }
        try await write(durable: durable) { db in
            for change in changes {
                switch change {
                case .inFlight(let messages, let position, let folder):
                    try Self.markInFlight(messages, position: position, folder: folder, in: db)
                case .done(let messages, let folder): try Self.markDone(messages, folder: folder, in: db)
                case .failed(let failures, let folder): try Self.markFailed(failures, folder: folder, in: db)
                case .flags(let updates, let folder): try Self.updateFlags(updates, folder: folder, in: db)
                case .folderState(let state, let folder): try Self.updateFolder(state, folder: folder, in: db)
                }
            }
        }
    }

    public func doneKeys(outside folder: FolderCheckpoint.ID) async throws -> Set<SourceKey> {
        try await database.read { db in
            var keys = Set<SourceKey>()
            let rows = try String.fetchCursor(
                db, sql: "SELECT source_key FROM message WHERE folder_id != ? AND state = 'done'", arguments: [folder])
            while let key = try rows.next() { keys.insert(SourceKey(key)) }
            return keys
        }
    }

    // MARK: - Transfer budgets

    public func budgetUsage(side: String) async throws -> TransferBudgetUsage? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT window_start, bytes FROM transfer_budget WHERE side = ?", arguments: [side]).map {
                TransferBudgetUsage(windowStart: Date(timeIntervalSince1970: $0["window_start"]), bytes: $0["bytes"])
            }
        }
    }

    public func recordBudgetUsage(_ usage: TransferBudgetUsage?, side: String) async throws {
        try await write { db in
            if let usage {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO transfer_budget (side, window_start, bytes) VALUES (?, ?, ?)",
                    arguments: [side, usage.windowStart.timeIntervalSince1970, usage.bytes])
            } else {
                try db.execute(sql: "DELETE FROM transfer_budget WHERE side = ?", arguments: [side])
            }
        }
    }

    public func close() async {
        _ = try? await database.write { db in try db.checkpoint(.truncate) }
        try? database.close()
        jobFile.release()
    }

    // MARK: - Statements (shared by the single calls and ``apply(_:)``)

    private static func updateFolder(_ state: FolderState, folder: FolderCheckpoint.ID, in db: Database) throws {
        try db.execute(
            sql: """
                UPDATE folder SET source_validity = ?, destination_validity = ?, content_token = ?, flag_token = ?,
                    last_message_count = ?, updated_at = ?
                WHERE id = ?
                """,
            arguments: [state.sourceValidity, state.destinationValidity, state.contentToken, state.flagToken,
                state.lastMessageCount, Date().timeIntervalSince1970, folder])
    }

    private static func markInFlight(
        _ messages: [MessageRecord], position: String?, folder: FolderCheckpoint.ID, in db: Database
    ) throws {
        let now = Date().timeIntervalSince1970
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO message (folder_id, source_key, state, position, fingerprint, message_id, size,
                    internal_date, flags, attempts, updated_at)
                VALUES (?, ?, 'in-flight', ?, ?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (folder_id, source_key) DO UPDATE SET
                    state = 'in-flight', position = excluded.position, fingerprint = excluded.fingerprint,
                    message_id = excluded.message_id, size = excluded.size, internal_date = excluded.internal_date,
                    flags = excluded.flags, attempts = attempts + 1, updated_at = excluded.updated_at
                """)
        for message in messages {
            try statement.execute(arguments: [
                folder, message.key.value, position, message.fingerprint.hex, message.messageID, message.size,
                message.internalDate?.timeIntervalSince1970, message.flags.description, now,
            ])
        }
    }

    private static func markDone(_ messages: [DoneMessage], folder: FolderCheckpoint.ID, in db: Database) throws {
        let now = Date().timeIntervalSince1970
        let highest = messages.compactMap(\.record.key.ordinal).max()
        // Usually the row is there, in flight, with the same record: only its state changes.
        let promote = try db.cachedStatement(
            sql: """
                UPDATE message SET state = 'done', destination_ref = ?, position = NULL, failure = NULL,
                    failure_code = NULL, retry = NULL, updated_at = ?
                WHERE folder_id = ? AND source_key = ? AND state = 'in-flight' AND fingerprint = ?
                """)
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO message (folder_id, source_key, state, destination_ref, fingerprint, message_id, size,
                    internal_date, flags, updated_at)
                VALUES (?, ?, 'done', ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (folder_id, source_key) DO UPDATE SET
                    state = 'done', destination_ref = excluded.destination_ref, position = NULL,
                    fingerprint = excluded.fingerprint, message_id = excluded.message_id, size = excluded.size,
                    internal_date = excluded.internal_date, flags = excluded.flags, failure = NULL,
                    failure_code = NULL, retry = NULL, updated_at = excluded.updated_at
                """)
        for message in messages {
            let record = message.record
            let fingerprint = record.fingerprint.hex
            try promote.execute(arguments: [message.reference, now, folder, record.key.value, fingerprint])
            guard db.changesCount == 0 else { continue }
            try statement.execute(arguments: [
                folder, record.key.value, message.reference, fingerprint, record.messageID, record.size,
                record.internalDate?.timeIntervalSince1970, record.flags.description, now,
            ])
        }
        if let highest {
            try db.execute(
                sql: "UPDATE folder SET highest_ordinal = MAX(COALESCE(highest_ordinal, 0), ?) WHERE id = ?",
                arguments: [Int64(clamping: highest), folder])
        }
    }

    private static func markFailed(_ failures: [FailedMessage], folder: FolderCheckpoint.ID, in db: Database) throws {
        let now = Date().timeIntervalSince1970
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO message (folder_id, source_key, state, fingerprint, message_id, size, internal_date,
                    flags, failure, failure_code, retry, updated_at)
                VALUES (?, ?, 'failed', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (folder_id, source_key) DO UPDATE SET
                    state = 'failed', position = NULL,
                    fingerprint = COALESCE(excluded.fingerprint, fingerprint),
                    message_id = COALESCE(excluded.message_id, message_id), size = COALESCE(excluded.size, size),
                    internal_date = COALESCE(excluded.internal_date, internal_date),
                    failure = excluded.failure, failure_code = excluded.failure_code, retry = excluded.retry,
                    updated_at = excluded.updated_at
                """)
        for failure in failures {
            let record = failure.record
            try statement.execute(arguments: [
                folder, failure.key.value, record?.fingerprint.hex, record?.messageID, record?.size,
                record?.internalDate?.timeIntervalSince1970, record?.flags.description ?? "", failure.error.summary,
                failure.error.code.rawValue, failure.error.retry.rawValue, now,
            ])
        }
    }

    private static func updateFlags(_ updates: [FlagUpdate], folder: FolderCheckpoint.ID, in db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "UPDATE message SET flags = ?, destination_ref = ?, updated_at = ? WHERE folder_id = ? AND source_key = ?")
        let now = Date().timeIntervalSince1970
        for update in updates {
            try statement.execute(arguments: [update.flags.description, update.reference, now, folder, update.key.value])
        }
    }

    // MARK: - Helpers

    /// Runs `body` in a write transaction — `durable`: fsynced before it returns — turning SQLite
    /// errors (a full disk among them) into store-scoped errors that stop the run, naming the
    /// checkpoint.
    private func write<T: Sendable>(
        durable: Bool = false, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            guard durable else { return try await database.write(body) }
            return try await database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as MailError {
            throw error
        } catch let error as DatabaseError {
            let full = error.resultCode == .SQLITE_FULL
            throw MailError(
                full ? .noSpace : .checkpoint, scope: .store, retry: full ? .later : .never,
                "cannot write the checkpoint: \(error.message ?? "\(error.resultCode)")", path: location)
        }
    }

    static func encode(_ path: FolderPath) -> String {
        String(decoding: (try? JSONEncoder().encode(path.components)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodePath(_ text: String) -> FolderPath? {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))).flatMap { FolderPath($0) }
    }

    /// A stored folder path as people read it (the stored text itself if it does not decode).
    static func displayName(ofStoredPath text: String) -> String {
        decodePath(text)?.displayName ?? text
    }

    static func flags(_ text: String) -> FlagSet {
        FlagSet(text.split(separator: " ").compactMap { Flag(imap: String($0)) })
    }

    static func state(from row: Row) -> FolderState {
        FolderState(
            sourceValidity: row["source_validity"], destinationValidity: row["destination_validity"],
            contentToken: row["content_token"], flagToken: row["flag_token"],
            lastMessageCount: row["last_message_count"],
            highestOrdinal: (row["highest_ordinal"] as Int64?).map { UInt64(clamping: $0) })
    }

    static func record(key: SourceKey, row: Row) -> MessageRecord? {
        guard let fingerprint = (row["fingerprint"] as String?).flatMap(Fingerprint.init(hex:)) else { return nil }
        return MessageRecord(
            key: key, fingerprint: fingerprint, messageID: row["message_id"], size: row["size"] ?? 0,
            internalDate: (row["internal_date"] as Double?).map { Date(timeIntervalSince1970: $0) },
            flags: flags(row["flags"] ?? ""))
    }
}
