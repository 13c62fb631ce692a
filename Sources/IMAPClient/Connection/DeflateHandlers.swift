import CZlib
import NIOCore

/// COMPRESS=DEFLATE (RFC 4978): raw deflate in both directions, inserted right after the server's
/// OK. Every write is flushed with Z_SYNC_FLUSH so the server can act on complete commands.
enum Deflate {
    /// Compresses what the connection writes.
    final class Compressor: ChannelOutboundHandler, RemovableChannelHandler {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let stream: UnsafeMutablePointer<z_stream>

        init() throws {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // Level 1: on the links where compression helps, speed matters more than ratio.
            guard deflateInit2_(stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
            else {
                stream.deallocate()
                throw IMAPError.protocolViolation("cannot start deflate compression")
            }
        }

        deinit {
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            var input = unwrapOutboundIn(data)
            var output = context.channel.allocator.buffer(capacity: Int(deflateBound(stream, uLong(input.readableBytes))) + 64)
            input.withUnsafeMutableReadableBytes { raw in
                stream.pointee.next_in = raw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(raw.count)
                repeat {
                    output.reserveCapacity(minimumWritableBytes: 16 * 1024)
                    let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: 16 * 1024) { out in
                        stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.pointee.avail_out = uInt(out.count)
                        _ = deflate(stream, Z_SYNC_FLUSH)
                        return out.count - Int(stream.pointee.avail_out)
                    }
                    if written == 0 && stream.pointee.avail_in == 0 { break }
                } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
            }
            context.write(wrapOutboundOut(output), promise: promise)
        }
    }

    /// Decompresses what the server sends.
    final class Decompressor: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let stream: UnsafeMutablePointer<z_stream>

        init() throws {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw IMAPError.protocolViolation("cannot start deflate decompression")
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var input = unwrapInboundIn(data)
            let intact = decompress(&input, allocator: context.channel.allocator) { output in
                context.fireChannelRead(wrapInboundOut(output))
            }
            if !intact {
                context.fireErrorCaught(IMAPError.protocolViolation("corrupt compressed data from the server"))
            }
        }

        /// Inflates all of `input` and everything it makes available, in pieces of up to 64 KiB;
        /// `false` when the data is corrupt. Loops while input remains *or* the last piece came out
        /// full: zlib may still hold output for input it has consumed already.
        func decompress(_ input: inout ByteBuffer, allocator: ByteBufferAllocator, emit: (ByteBuffer) -> Void) -> Bool {
            input.withUnsafeMutableReadableBytes { raw in
                stream.pointee.next_in = raw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(raw.count)
                while true {
                    var output = allocator.buffer(capacity: 64 * 1024)
                    var status: Int32 = Z_OK
                    var full = false
                    output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { out in
                        stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.pointee.avail_out = uInt(out.count)
                        status = inflate(stream, Z_SYNC_FLUSH)
                        full = stream.pointee.avail_out == 0
                        return out.count - Int(stream.pointee.avail_out)
                    }
                    if status != Z_OK && status != Z_BUF_ERROR && status != Z_STREAM_END { return false }
                    if output.readableBytes > 0 { emit(output) }
                    if status == Z_BUF_ERROR || status == Z_STREAM_END { return true }
                    if stream.pointee.avail_in == 0 && !full { return true }
                }
            }
        }
    }
}
