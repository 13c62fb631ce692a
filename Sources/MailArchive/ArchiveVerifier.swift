import Foundation
import MailCore

/// Reads a MailFerry archive back and checks every message member against its manifest line:
/// present, the same size, the same SHA-256; and no message member the manifest does not list.
/// Used after writing a volume (before it gets its final name) and by `mailferry verify archive:`.
public enum ArchiveVerifier {
    /// What a verification found.
    public struct Result: Sendable {
        public var path: String
        /// Messages the manifest lists.
        public var messages = 0
        /// Messages whose member matched its line.
        public var matched = 0
        public var bytes = 0
        public var members = 0
        /// Each mismatch, naming the member.
        public var problems: [String] = []
        /// The manifest's entries.
        public var entries: [ArchiveManifest.Entry] = []

        public var isIntact: Bool { problems.isEmpty && matched == messages }
    }

    /// Verifies the archive at `path`. Throws when it cannot be read at all (or is unsafe, or has
    /// no manifest); mismatches are listed in the result.
    public static func verify(path: String, limits: ArchiveLimits = .standard) throws -> Result {
        let reader = try ArchiveReader(path: path, limits: limits)
        defer { reader.close() }
        return try verify(reader)
    }

    /// Verifies what `reader` reads.
    static func verify(_ reader: ArchiveReader) throws -> Result {
        let path = reader.path
        var result = Result(path: path)
        var hashes: [String: (size: Int, sha256: String)] = [:]
        var manifest: [ArchiveManifest.Entry]?
        while let entry = try reader.next() {
            result.members += 1
            guard !entry.isDirectory else { continue }
            if entry.name.path == ArchiveManifest.memberName {
                manifest = try ArchiveManifest.parse(
                    try reader.readAll(maximum: ArchiveManifest.maximumSize), archive: path)
                continue
            }
            var hasher = SHA256()
            var size = 0
            try reader.forEachChunk { chunk in
                hasher.update(chunk)
                size += chunk.count
            }
            hashes[entry.name.path] = (size, hasher.finalize().hexString)
        }
        guard let manifest else {
            throw MailError(
                .verificationFailed, scope: .store, retry: .never,
                "the archive has no \(ArchiveManifest.memberName): it was not written by MailFerry (or was cut short)",
                path: path)
        }
        result.entries = manifest
        result.messages = manifest.count
        var listed = Set<String>()
        for entry in manifest {
            listed.insert(entry.member)
            guard let found = hashes[entry.member] else {
                result.problems.append("\(entry.member): listed in the manifest but missing from the archive")
                continue
            }
            if found.size != entry.size {
                result.problems.append("\(entry.member): \(found.size) bytes, the manifest says \(entry.size)")
            } else if found.sha256 != entry.sha256 {
                result.problems.append("\(entry.member): SHA-256 differs from the manifest's")
            } else {
                result.matched += 1
                result.bytes += found.size
            }
        }
        for member in hashes.keys.sorted() where !listed.contains(member) && isMessageMember(member) {
            result.problems.append("\(member): a message file the manifest does not list")
        }
        return result
    }

    /// Whether a member name is a message file (in a `cur/` or `new/` directory).
    static func isMessageMember(_ path: String) -> Bool {
        path.contains("/cur/") || path.contains("/new/")
    }
}

/// ``ArchiveVerifier`` on a thread of its own, reading a volume while it is being written (a
/// ``GrowingFile``), so that the read-back costs a second core rather than a second pass.
final class BackgroundVerification: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Swift.Result<ArchiveVerifier.Result, any Error>?

    /// Starts reading `path` through `fd` (a descriptor of its own, closed when done).
    init(path: String, fd: Int32, growing: GrowingFile, limits: ArchiveLimits) {
        let thread = Thread { [self] in
            outcome = Swift.Result {
                let reader = try ArchiveReader(growing: growing, fd: fd, path: path, limits: limits)
                defer { reader.close() }
                return try ArchiveVerifier.verify(reader)
            }
            Foundation.close(fd)
            done.signal()
        }
        thread.name = "mailferry-archive-verify"
        thread.start()
    }

    /// Waits for the verification (the writer must have called ``GrowingFile/finish(abandoned:)``).
    func wait() throws -> ArchiveVerifier.Result {
        done.wait()
        done.signal()  // later waits return at once
        return try outcome!.get()
    }
}

extension ArchiveManifest {
    /// The manifest of the archive at `path`, skipping over the messages; `nil` when the archive
    /// has none (a foreign archive).
    public static func read(from path: String, limits: ArchiveLimits = .standard) throws -> [Entry]? {
        let reader = try ArchiveReader(path: path, limits: limits)
        defer { reader.close() }
        var found: [Entry]?
        while let entry = try reader.next() {
            if !entry.isDirectory && entry.name.path == memberName {
                found = try parse(try reader.readAll(maximum: maximumSize), archive: path)
            }
        }
        return found
    }
}
