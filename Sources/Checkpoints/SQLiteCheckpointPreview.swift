import Foundation
import GRDB
import MailCore

/// A job's checkpoint opened read-only for a dry run: no lock taken, nothing written, so it works
/// beside a running copy of the same job (as `status` does).
public final class SQLiteCheckpointPreview: CheckpointPreview {
    public let location: String
    private let database: DatabaseQueue

    /// Opens the checkpoint at `path` when it exists and belongs to `identity`; `nil` when the
    /// job never ran. A checkpoint of another job, or one that cannot be read, throws.
    public init?(path: String, identity: JobIdentity) throws {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        location = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            let stored = try database.read { db -> String? in
                guard try db.tableExists("job") else { return nil }
                return try String.fetchOne(db, sql: "SELECT identity FROM job WHERE id = 1")
            }
            guard let stored, (try? JSONDecoder().decode(JobIdentity.self, from: Data(stored.utf8))) == identity else {
                throw SQLiteCheckpointStore.refusal("it belongs to another job, or holds no job record", path: path)
            }
        } catch let error as DatabaseError {
            throw SQLiteCheckpointStore.openingError(error, path: path)
        }
    }

    public func overview(source: FolderPath, destination: FolderPath) async throws -> FolderOverview? {
        let sourceText = SQLiteCheckpointStore.encode(source)
        let destinationText = SQLiteCheckpointStore.encode(destination)
        return try await read { db in try SQLiteCheckpointStore.overview(sourceText, destinationText, in: db) }
    }

    public func settledKeys(source: FolderPath, destination: FolderPath) async throws -> Set<SourceKey> {
        let sourceText = SQLiteCheckpointStore.encode(source)
        let destinationText = SQLiteCheckpointStore.encode(destination)
        return try await read { db in
            let keys = try String.fetchAll(
                db,
                sql: """
                    SELECT m.source_key FROM message m JOIN folder f ON m.folder_id = f.id
                    WHERE f.source_path = ? AND f.destination_path = ?
                      AND (m.state = 'done' OR (m.state = 'failed' AND COALESCE(m.retry, 'never') = 'never'))
                    """,
                arguments: [sourceText, destinationText])
            return Set(keys.map(SourceKey.init))
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch let error as DatabaseError {
            throw MailError(
                .checkpoint, scope: .store, retry: .never,
                "cannot read the checkpoint: \(error.message ?? "\(error.resultCode)")", path: location)
        }
    }
}
