import POP3Client
import NIOCore

/// libFuzzer target for the POP3 response parser: any bytes, fed whole and in two pieces, with
/// response shapes the input chooses, must end in events or a typed error — never a crash, a
/// hang or unbounded memory.
///
/// The first byte picks the split point, the next four the shapes of four commands (low two
/// bits: single line, listing, message, authentication); the rest is the server's bytes.
/// Built normally, the program replays files given as arguments (the corpus, a crash reproducer);
/// built by `scripts/fuzz.sh pop3` (`-sanitize=fuzzer -DFUZZING`) it is the libFuzzer target.
enum POP3ResponseFuzzer {
    /// Small limits, so the fuzzer reaches them quickly.
    static let limits: POP3ResponseParser.Limits = {
        var limits = POP3ResponseParser.Limits()
        limits.maximumLineLength = 256
        limits.lineLengthTolerance = 256
        limits.maximumMessageSize = 8192
        limits.maximumListingLines = 64
        return limits
    }()

    static let shapes: [POP3ResponseShape] = [.singleLine, .lines, .message, .authentication]

    static func run(_ input: UnsafeBufferPointer<UInt8>) {
        guard input.count >= 5 else { return }
        let bytes = UnsafeBufferPointer(rebasing: input[5...])
        let split = bytes.isEmpty ? 0 : Int(input[0]) % max(bytes.count, 1)
        for pieces in [[bytes[...]], [bytes[..<split], bytes[split...]]] {
            var parser = POP3ResponseParser(limits: limits)
            parser.expect(.singleLine)
            for index in 1...4 { parser.expect(shapes[Int(input[index] & 3)]) }
            var buffer = ByteBuffer()
            var events = 0
            var dataBytes = 0
            piecesLoop: for piece in pieces {
                buffer.writeBytes(piece)
                while true {
                    do {
                        guard let event = try parser.parse(&buffer) else { break }
                        events += 1
                        if case .data(let data) = event { dataBytes += data.readableBytes }
                        precondition(events <= bytes.count + 2, "more events than input bytes: a parser loop")
                        precondition(dataBytes <= bytes.count, "more message data than input bytes")
                    } catch {
                        break piecesLoop
                    }
                }
            }
        }
    }
}

import Foundation

/// libFuzzer's entry point for one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPOP3Response(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    POP3ResponseFuzzer.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
/// libFuzzer's driver (the program's own `main` hands control to it).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

@main
struct POP3ResponseFuzzerMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzPOP3Response))
        #else
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                Array(data).withUnsafeBufferPointer { POP3ResponseFuzzer.run($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        #endif
    }
}
