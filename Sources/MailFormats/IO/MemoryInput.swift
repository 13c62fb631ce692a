/// Bytes in memory as a ``ByteInput``, handed out at most `maximumRead` at a time — for tests
/// that feed a parser every possible chunking, and for fuzzing.
public final class MemoryInput: ByteInput {
    public let path: String
    private let bytes: [UInt8]
    private let maximumRead: Int
    public private(set) var fileOffset = 0

    public init(_ bytes: [UInt8], path: String = "<memory>", maximumRead: Int = .max) {
        self.bytes = bytes
        self.path = path
        self.maximumRead = max(1, maximumRead)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, maximumRead, bytes.count - fileOffset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + fileOffset, byteCount: count)
        }
        fileOffset += count
        return count
    }

    public func close() {}
}
