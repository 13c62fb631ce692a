import CZlib
@testable import IMAPClient
import NIOCore
import Testing

@Suite("COMPRESS=DEFLATE")
struct DeflateTests {
    /// Raw deflate (as COMPRESS=DEFLATE sends it), ending in a sync flush.
    func compress(_ payload: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        #expect(deflateInit2_(&stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = payload
        var output = [UInt8](repeating: 0, count: payload.count + 1024)
        let written = input.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                stream.next_in = input.baseAddress
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                _ = deflate(&stream, Z_SYNC_FLUSH)
                return output.count - Int(stream.avail_out)
            }
        }
        return Array(output[..<written])
    }

    /// How many bytes `compressed` yields with room for all of them.
    func referenceSize(_ compressed: ArraySlice<UInt8>, limit: Int) -> Int {
        var stream = z_stream()
        _ = inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { inflateEnd(&stream) }
        var input = Array(compressed)
        var output = [UInt8](repeating: 0, count: limit + 1)
        return input.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                stream.next_in = input.baseAddress
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                _ = inflate(&stream, Z_SYNC_FLUSH)
                return output.count - Int(stream.avail_out)
            }
        }
    }

    /// Feeds `pieces` to one decompressor; the bytes it put out after each piece.
    func decompress(_ pieces: [ArraySlice<UInt8>]) throws -> [ByteBuffer] {
        let decompressor = try Deflate.Decompressor()
        return pieces.map { piece in
            var input = ByteBuffer(bytes: piece)
            var output = ByteBuffer()
            #expect(decompressor.decompress(&input, allocator: ByteBufferAllocator()) { output.writeImmutableBuffer($0) })
            return output
        }
    }

    @Test("a packet that ends as the 64 KiB output fills yields everything it encodes, at once")
    func outputFullAtPacketEnd() throws {
        // Highly compressible: each byte of input expands to hundreds, so some cut falls right
        // after a match that crosses a 64 KiB boundary.
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 / 300 % 7 + 0x61) }
        let whole = ByteBuffer(bytes: payload)
        let compressed = compress(payload)
        var late: [Int] = []
        for cut in 1..<compressed.count {
            var pieces = try decompress([compressed[..<cut], compressed[cut...]])
            if pieces[0].readableBytes != referenceSize(compressed[..<cut], limit: payload.count) { late.append(cut) }
            pieces[0].writeImmutableBuffer(pieces[1])
            #expect(pieces[0] == whole)
        }
        #expect(late.isEmpty, "output held back until the next packet for cuts \(late.prefix(10))")
    }

    @Test("a large payload in one packet comes out whole, also an exact multiple of 64 KiB")
    func onePacket() throws {
        for size in [4 * 65536, 1_000_000] {
            let payload = [UInt8](repeating: 0x41, count: size)
            let compressed = compress(payload)
            #expect(try decompress([compressed[...]]) == [ByteBuffer(bytes: payload)])
        }
    }
}
