import Foundation
import MailCore
import POP3Client

/// A POP3 mailbox as one session sees it: message numbers (valid only in that session), sizes,
/// and the stable key each message is copied under.
///
/// Keys come from UIDL (`uidl:ID`). A UIDL that breaks RFC 1939 (not 1–70 printable characters)
/// is never used; such messages, and all messages of a server without UIDL, are keyed by a
/// fingerprint of their headers (`TOP n 0`) and size (`top:HEX`). Two messages that share a UIDL
/// both get the fingerprint appended (`uidl:ID#HEX`), so neither is taken for the other.
struct POP3Listing: Sendable {
    struct Entry: Sendable, Hashable {
        var number: Int
        /// Size as the server counts it (CRLF line endings, before dot-stuffing).
        var size: Int
        var key: SourceKey
    }

    var entries: [Entry]
    /// Problems with single messages' identities (a bad UIDL), for the report.
    var warnings: [MailError]

    var totalBytes: Int { entries.reduce(0) { $0 + $1.size } }

    /// Changes whenever a message is added or removed: the message count and a hash of the keys.
    var contentToken: String {
        var hash = SHA256()
        for entry in entries { hash.update(Array((entry.key.value + "\n").utf8)) }
        return "pop3:\(entries.count):" + hash.finalize().prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// LIST and UIDL (pipelined when allowed), then TOP for the messages UIDL cannot identify.
    static func read(from connection: POP3Connection, folder: FolderPath) async throws -> POP3Listing {
        let lists: [[UInt8]]?
        let uids: [[UInt8]]?
        if connection.supportsPipelining {
            try await connection.send(.list)
            try await connection.send(.uidl)
            lists = try await connection.readListing()
            uids = try await connection.readListing()
        } else {
            lists = try await connection.listing(.list)
            uids = try await connection.listing(.uidl)
        }
        guard let lists else {
            throw POP3Error.commandFailed(command: "LIST", status: POP3Status(isOK: false, text: "refused"))
        }
        var sizes: [(number: Int, size: Int)] = []
        for line in lists {
            let words = String(decoding: line, as: UTF8.self).split(separator: " ")
            guard words.count >= 2, let number = Int(words[0]), number > 0, let size = Int(words[1]), size >= 0 else {
                throw POP3Error.protocolViolation(
                    "a LIST line that is not \"number size\": \(ServerText.sanitize(String(decoding: line.prefix(60), as: UTF8.self)))")
            }
            guard sizes.last.map({ $0.number < number }) ?? true else {
                throw POP3Error.protocolViolation("LIST names message \(number) twice or out of order")
            }
            sizes.append((number, min(size, 1 << 40)))
        }
        var identifiers: [Int: String] = [:]
        var warnings: [MailError] = []
        for line in uids ?? [] {
            guard let space = line.firstIndex(of: 0x20), let number = Int(String(decoding: line[..<space], as: UTF8.self)) else {
                continue
            }
            let id = Array(line[(space + 1)...])
            if isValidUIDL(id) {
                identifiers[number] = String(decoding: id, as: UTF8.self)
            } else {
                warnings.append(
                    MailError(
                        .malformedMessage, scope: .message, retry: .never,
                        "the server's UIDL for this message is not 1–70 printable characters; it is identified by its headers and size instead",
                        folder: folder, messageNumber: number))
            }
        }
        var counts: [String: Int] = [:]
        for id in identifiers.values { counts[id, default: 0] += 1 }
        // Messages UIDL cannot tell apart: fingerprint their headers.
        let needHeaders = sizes.filter { identifiers[$0.number].map { counts[$0]! > 1 } ?? true }.map(\.number)
        let prints = try await headerFingerprints(of: needHeaders, sizes: Dictionary(sizes.map { ($0.number, $0.size) }, uniquingKeysWith: { first, _ in first }), connection: connection)
        var entries: [Entry] = []
        var used = Set<String>()
        for (number, size) in sizes {
            var key: String
            if let id = identifiers[number] {
                key = "uidl:\(id)"
                if counts[id]! > 1, let print = prints[number] { key += "#\(print)" }
            } else if let print = prints[number] {
                key = "top:\(print)"
            } else {
                warnings.append(
                    MailError(
                        .unreadable, scope: .message, retry: .later,
                        "the server has no usable UIDL for this message and refused TOP, so it cannot be identified across runs; not copied",
                        folder: folder, messageNumber: number))
                continue
            }
            // Byte-identical headers and size twice: number the repeats, in mailbox order.
            var unique = key
            var repeatCount = 1
            while used.contains(unique) {
                repeatCount += 1
                unique = "\(key)~\(repeatCount)"
            }
            used.insert(unique)
            entries.append(Entry(number: number, size: size, key: SourceKey(unique)))
        }
        return POP3Listing(entries: entries, warnings: warnings)
    }

    /// RFC 1939 §7: 1 to 70 characters in 0x21–0x7E.
    static func isValidUIDL(_ bytes: [UInt8]) -> Bool {
        (1...70).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7e).contains($0) }
    }

    /// SHA-256 (first 16 bytes, hex) of each message's `TOP n 0` headers and its size.
    static func headerFingerprints(of numbers: [Int], sizes: [Int: Int], connection: POP3Connection) async throws -> [Int: String] {
        var result: [Int: String] = [:]
        for (number, headers) in try await headers(of: numbers, connection: connection) {
            var hash = SHA256()
            hash.update(headers)
            hash.update(Array("\n\(sizes[number] ?? 0)".utf8))
            result[number] = hash.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }

    /// Each message's header section (`TOP n 0`, pipelined), for the messages the server did not
    /// refuse; at most `limit` bytes of each are kept.
    static func headers(of numbers: [Int], connection: POP3Connection, limit: Int = 1 << 20) async throws -> [Int: [UInt8]] {
        var result: [Int: [UInt8]] = [:]
        var next = 0
        var inFlight: [Int] = []
        while next < numbers.count || !inFlight.isEmpty {
            while next < numbers.count && inFlight.count < connection.pipelineDepth {
                try await connection.send(.top(numbers[next], lines: 0))
                inFlight.append(numbers[next])
                next += 1
            }
            let number = inFlight.removeFirst()
            guard try await connection.readStatus().isOK else { continue }
            var headers: [UInt8] = []
            try await connection.readMessage { piece in
                if headers.count < limit { headers += piece.readableBytesView.prefix(limit - headers.count) }
            }
            result[number] = headers
        }
        return result
    }
}
