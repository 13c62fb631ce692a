#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import MailCore

/// What a checkpoint needs to know about a Maildir folder without reading its messages, and
/// what a resumed run needs to find or identify the messages it holds.
public enum MaildirFolderState {
    /// The modification times of `cur/` and `new/` (nanoseconds): any delivery, removal or flag
    /// change (a rename) changes one of them.
    public static func token(of directory: String) -> String? {
        guard let cur = modificationTime("\(directory)/cur") else { return nil }
        let new = modificationTime("\(directory)/new") ?? 0
        return "\(cur)/\(new)"
    }

    /// `device:inode` of the folder directory: it changes when the folder is deleted and created again.
    public static func identity(of directory: String) -> String? { POSIX.status(directory)?.identity }

    /// A message file as a duplicate check sees it.
    public struct FileIdentity: Sendable {
        /// `cur/<name>` or `new/<name>`.
        public var relativePath: String
        public var messageID: String?
        /// Size with CRLF line endings (the `W=` field when the name has one).
        public var crlfSize: Int
        public var modified: Date
        public var fingerprint: Fingerprint?
    }

    /// Identifies the message files of a folder; with `deliveredSince`, only those whose name
    /// starts with a delivery time (seconds) at or after it. Fingerprints are computed for files
    /// without a Message-ID, or for all when `fingerprintAll`. Unreadable files are left out.
    public static func identities(
        in directory: String, deliveredSince: Int? = nil, fingerprintAll: Bool = false
    ) throws -> [FileIdentity] {
        var result: [FileIdentity] = []
        for (subdirectory, name) in try MaildirTree.messageFiles(in: directory) {
            if let deliveredSince {
                let digits = name.prefix { $0.isASCII && $0.isNumber }
                guard let seconds = Int(digits), seconds >= deliveredSince else { continue }
            }
            let path = "\(directory)/\(subdirectory)/\(name)"
            guard let identity = try? identify(path, fingerprintAll: fingerprintAll) else { continue }
            result.append(
                FileIdentity(
                    relativePath: "\(subdirectory)/\(name)", messageID: identity.messageID, crlfSize: identity.crlfSize,
                    modified: identity.modified, fingerprint: identity.fingerprint))
        }
        return result
    }

    private static func identify(
        _ path: String, fingerprintAll: Bool
    ) throws -> (messageID: String?, crlfSize: Int, modified: Date, fingerprint: Fingerprint?) {
        let fd = try POSIX.openRead(path, scope: .message)
        defer { sysClose(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw POSIX.error("stat", path: path, scope: .message)
        }
        #if canImport(Darwin)
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtimespec.tv_sec))
        #else
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
        #endif
        var head: [UInt8] = []
        var builder = FingerprintBuilder()
        var crlfSize = 0
        var previous: UInt8?
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        var needAll = fingerprintAll
        var decided = false
        var messageID: String?
        while true {
            let got = try buffer.withUnsafeMutableBytes { try POSIX.read(fd, into: $0, path: path, scope: .message) }
            if got == 0 { break }
            buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<got])
                builder.update(chunk)
                crlfSize += LineEndings.crlfSize(of: chunk, previousByte: previous)
                previous = chunk.last ?? previous
                if head.count < HeaderScanner.scanLimit { head += chunk.prefix(HeaderScanner.scanLimit - head.count) }
            }
            if !decided && head.count >= HeaderScanner.scanLimit {
                decided = true
                messageID = HeaderScanner.scan(head).messageID
                if messageID == nil { needAll = true }
                if !needAll, let size = MaildirFileName(parsing: (path as NSString).lastPathComponent).virtualSize {
                    return (messageID, size, modified, nil)
                }
            }
        }
        if !decided { messageID = HeaderScanner.scan(head).messageID }
        let fingerprint = needAll || messageID == nil ? builder.finish() : nil
        return (messageID, crlfSize, modified, fingerprint)
    }

    private static func modificationTime(_ path: String) -> Int64? { POSIX.status(path)?.modified }
}
