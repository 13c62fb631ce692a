import Foundation
import GRDB
import MailCore

/// What `mailferry status` shows of a job: its runs, each folder's progress and the failed
/// messages with their reasons. Read without taking the job's lock, so it works while a run is
/// going on (SQLite's WAL lets a reader see the last committed state).
public struct CheckpointSummary: Sendable, Codable {
    public struct Run: Sendable, Codable {
        public var started: Date
        public var finished: Date?
        public var outcome: String?
        public var copied: Int?
        public var failed: Int?
        public var skipped: Int?
        public var stoppedBy: String?
        public var version: String
    }

    public struct Folder: Sendable, Codable {
        public var source: String
        public var destination: String
        public var done: Int
        public var failed: Int
        public var inFlight: Int
        /// Messages the source held when last listed; `remaining` is what is left of them.
        public var sourceMessages: Int?
        public var remaining: Int?
        public var sourceValidity: String?
        public var destinationValidity: String?
        public var highestOrdinal: Int64?
        public var updated: Date
    }

    public struct Failure: Sendable, Codable {
        public var folder: String
        public var key: String
        public var messageID: String?
        public var reason: String
        public var code: String?
        public var retry: String?
        public var attempts: Int
        public var updated: Date
    }

    public var path: String
    public var jobID: String
    public var source: String
    public var destination: String
    public var created: Date
    public var runs: [Run]
    public var folders: [Folder]
    public var failures: [Failure]

    /// Reads the summary of the checkpoint at `path`; at most `runLimit` runs, newest first.
    public static func read(path: String, runLimit: Int = 10) throws -> CheckpointSummary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MailError(.checkpoint, scope: .store, retry: .never, "no checkpoint at this path", path: path)
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? database.close() }
            return try database.read { db in
                guard try db.tableExists("job"), let job = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = 1") else {
                    throw SQLiteCheckpointStore.refusal("it holds no job record", path: path)
                }
                let runs = try Row.fetchAll(
                    db, sql: "SELECT * FROM run ORDER BY id DESC LIMIT ?", arguments: [runLimit]
                ).map { row in
                    Run(
                        started: Date(timeIntervalSince1970: row["started_at"]),
                        finished: (row["finished_at"] as Double?).map { Date(timeIntervalSince1970: $0) },
                        outcome: row["outcome"], copied: row["copied"], failed: row["failed"], skipped: row["skipped"],
                        stoppedBy: row["stopped_by"], version: row["mailferry_version"])
                }
                let folders = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT f.*,
                            (SELECT COUNT(*) FROM message m WHERE m.folder_id = f.id AND m.state = 'done') AS done,
                            (SELECT COUNT(*) FROM message m WHERE m.folder_id = f.id AND m.state = 'failed') AS failed,
                            (SELECT COUNT(*) FROM message m WHERE m.folder_id = f.id AND m.state = 'in-flight') AS in_flight
                        FROM folder f ORDER BY f.id
                        """
                ).map { row -> Folder in
                    let done: Int = row["done"]
                    let failed: Int = row["failed"]
                    let count: Int? = row["last_message_count"]
                    return Folder(
                        source: SQLiteCheckpointStore.displayName(ofStoredPath: row["source_path"]),
                        destination: SQLiteCheckpointStore.displayName(ofStoredPath: row["destination_path"]),
                        done: done, failed: failed, inFlight: row["in_flight"], sourceMessages: count,
                        remaining: count.map { max(0, $0 - done - failed) }, sourceValidity: row["source_validity"],
                        destinationValidity: row["destination_validity"], highestOrdinal: row["highest_ordinal"],
                        updated: Date(timeIntervalSince1970: row["updated_at"]))
                }
                let failures = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT f.source_path, m.source_key, m.message_id, m.failure, m.failure_code, m.retry, m.attempts,
                            m.updated_at
                        FROM message m JOIN folder f ON f.id = m.folder_id
                        WHERE m.state = 'failed' ORDER BY f.id, m.updated_at
                        """
                ).map { row in
                    Failure(
                        folder: SQLiteCheckpointStore.displayName(ofStoredPath: row["source_path"]),
                        key: row["source_key"], messageID: row["message_id"], reason: row["failure"] ?? "",
                        code: row["failure_code"], retry: row["retry"], attempts: row["attempts"],
                        updated: Date(timeIntervalSince1970: row["updated_at"]))
                }
                return CheckpointSummary(
                    path: path, jobID: job["job_id"], source: job["source"], destination: job["destination"],
                    created: Date(timeIntervalSince1970: job["created_at"]), runs: runs, folders: folders,
                    failures: failures)
            }
        } catch let error as MailError {
            throw error
        } catch let error as DatabaseError {
            throw SQLiteCheckpointStore.refusal("SQLite cannot read it: \(error.message ?? "\(error.resultCode)")", path: path)
        }
    }
}
