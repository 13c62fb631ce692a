import Foundation
import MailCore
import POP3Client

extension POP3Store {
    /// Deletes the requested messages that the mailbox still holds: DELE each (pipelined), then
    /// QUIT, which is when the server deletes them (RFC 1939 UPDATE state). If QUIT is not
    /// answered `+OK` — the connection dropped, the server failed — nothing was deleted, and the
    /// error says so; the next run sees the messages again and skips them as copied.
    ///
    /// With a cutoff, a message is deleted only when the date of its headers (`TOP n 0`: the
    /// topmost `Received:`, else `Date:`) is before it; a message without a readable date stays.
    public func removeCopied(_ request: RemovalRequest, in folder: FolderInfo) async throws -> RemovalResult {
        do {
            return try await remove(request)
        } catch let error as POP3Error {
            var mailError = Self.mailError(error, scope: .folder, folder: folderPath)
            mailError.summary = "deleting copied messages from the server failed, so none were deleted: \(error.description)"
            throw mailError
        }
    }

    private func remove(_ request: RemovalRequest) async throws -> RemovalResult {
        let session = try await checkout()
        do {
            return try await remove(request, session: session)
        } catch {
            session.connection.close()  // without QUIT: the server forgets any DELE
            throw error
        }
    }

    private func remove(_ request: RemovalRequest, session: Session) async throws -> RemovalResult {
        let connection = session.connection
        var candidates = session.listing!.entries.filter { request.keys.contains($0.key) }
        var kept = 0
        if let cutoff = request.olderThan, !candidates.isEmpty {
            let dates = try await arrivalDates(of: candidates.map(\.number), connection: connection)
            let before = candidates.count
            candidates = candidates.filter { dates[$0.number].map { $0 < cutoff } ?? false }
            kept = before - candidates.count
        }
        guard !candidates.isEmpty else {
            park(session)
            return RemovalResult(removed: 0, kept: kept)
        }
        var next = 0
        var inFlight = 0
        var refused: [Int] = []
        while next < candidates.count || inFlight > 0 {
            while next < candidates.count && inFlight < connection.pipelineDepth {
                try await connection.send(.dele(candidates[next].number))
                next += 1
                inFlight += 1
            }
            let status = try await connection.readStatus()
            if !status.isOK { refused.append(next - inFlight) }
            inFlight -= 1
        }
        guard refused.isEmpty else {
            // Leave the session without QUIT: the server forgets every DELE.
            connection.close()
            let numbers = refused.map { String(candidates[$0].number) }.joined(separator: ", ")
            throw MailError(
                .unwritable, scope: .folder, retry: .later,
                "the server refused DELE for message(s) \(numbers); the session was dropped so that nothing was deleted",
                folder: folderPath)
        }
        try await connection.quit()
        return RemovalResult(removed: candidates.count, kept: kept)
    }

    /// The arrival dates the headers of these messages give (`TOP n 0`).
    private func arrivalDates(of numbers: [Int], connection: POP3Connection) async throws -> [Int: Date] {
        let headers = try await POP3Listing.headers(of: numbers, connection: connection, limit: HeaderScanner.scanLimit)
        return headers.compactMapValues { HeaderScanner.scan($0).arrivalDate }
    }
}
