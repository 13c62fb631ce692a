import CZlib
import MailCore

/// Decompresses a gzip file as it is read, including files made of several concatenated gzip
/// members (what appending to a `.gz` produces). Memory: two fixed buffers.
public final class GzipInput: ByteInput {
    private let file: any ByteInput
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: [UInt8]
    private var inputStart = 0
    private var inputEnd = 0
    private var fileEnded = false
    private var memberEnded = false
    private var finished = false

    public var path: String { file.path }
    public var fileOffset: Int { file.fileOffset - (inputEnd - inputStart) }

    public init(wrapping file: any ByteInput, bufferSize: Int = 256 * 1024) throws {
        self.file = file
        self.input = [UInt8](repeating: 0, count: bufferSize)
        // zlib keeps a pointer back to the stream; it must not move, so it lives on the heap.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: a 32 KiB window, gzip or zlib header detected automatically.
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw MailError.folder(.compression, "cannot start gzip decompression (zlib \(status))", path: file.path)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        while true {
            if inputStart == inputEnd && !fileEnded {
                inputStart = 0
                inputEnd = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                if inputEnd == 0 { fileEnded = true }
            }
            if memberEnded {
                // Another member may follow; anything that is not a gzip header is trailing garbage.
                if inputStart == inputEnd && fileEnded {
                    finished = true
                    return 0
                }
                if inputEnd - inputStart >= 1 && input[inputStart] != 0x1f {
                    finished = true
                    return 0
                }
                inflateReset(stream)
                memberEnded = false
            }
            if inputStart == inputEnd && fileEnded {
                throw MailError(
                    .truncatedMessage, scope: .message, retry: .never,
                    "compressed data ends early: the gzip file is truncated", path: path)
            }
            let produced = try input.withUnsafeMutableBytes { raw -> Int in
                stream.pointee.next_in = raw.baseAddress!.assumingMemoryBound(to: Bytef.self) + inputStart
                stream.pointee.avail_in = uInt(inputEnd - inputStart)
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(buffer.count)
                let status = inflate(stream, Z_NO_FLUSH)
                inputStart = inputEnd - Int(stream.pointee.avail_in)
                switch status {
                case Z_OK, Z_BUF_ERROR: break
                case Z_STREAM_END: memberEnded = true
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw MailError(
                        .compression, scope: .folder, retry: .never, "corrupt gzip data: \(detail)", path: path)
                }
                return buffer.count - Int(stream.pointee.avail_out)
            }
            if produced > 0 { return produced }
        }
    }

    public func close() { file.close() }
}

/// Compresses what is written to it as one gzip member appended to an open file descriptor.
/// Appending a member to an existing `.gz` file never rewrites its bytes; readers see one stream.
public final class GzipOutput {
    private let fd: Int32
    private let path: String
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private var ended = false

    public init(fd: Int32, path: String, level: Int32 = 6) throws {
        self.fd = fd
        self.path = path
        self.output = [UInt8](repeating: 0, count: 256 * 1024)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window with a gzip header and trailer.
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw MailError.folder(.compression, "cannot start gzip compression (zlib \(status))", path: path)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        try run(bytes, flush: Z_NO_FLUSH)
    }

    /// Writes the gzip trailer; the member is complete afterwards.
    public func finish() throws {
        guard !ended else { return }
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
        ended = true
    }

    private func run(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        while true {
            let (status, produced) = output.withUnsafeMutableBytes { raw -> (Int32, Int) in
                stream.pointee.next_out = raw.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(raw.count)
                let status = deflate(stream, flush)
                return (status, raw.count - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                try output.withUnsafeBytes {
                    try POSIX.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<produced]), path: path, scope: .folder)
                }
            }
            switch status {
            case Z_STREAM_END: return
            case Z_OK, Z_BUF_ERROR:
                if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 { return }
                if status == Z_BUF_ERROR && produced == 0 && flush == Z_NO_FLUSH { return }
            default:
                throw MailError.folder(.compression, "gzip compression failed (zlib \(status))", path: path)
            }
        }
    }
}
