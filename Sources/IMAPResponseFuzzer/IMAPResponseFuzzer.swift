import IMAPCore
import NIOCore

/// libFuzzer target for the IMAP response parser: any bytes, fed whole and in two pieces, must
/// end in events or a typed error — never a crash, a hang or unbounded memory.
///
/// Built normally, the program replays files given as arguments (the corpus, a crash reproducer);
/// built by `scripts/fuzz.sh` (`-sanitize=fuzzer -DFUZZING`) it is the libFuzzer target.
enum IMAPResponseFuzzer {
    /// Small limits, so the fuzzer reaches them quickly.
    static let limits: ResponseParser.Limits = {
        var limits = ResponseParser.Limits()
        limits.maximumLineLength = 4096
        limits.maximumSearchLineLength = 8192
        limits.maximumLiteralSize = 4096
        limits.maximumResponseSize = 16384
        limits.maximumBodySize = 65536
        limits.maximumNestingDepth = 20
        return limits
    }()

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % max(bytes.count, 1)
        for pieces in [[bytes[...]], [bytes[..<split], bytes[split...]]] {
            var parser = ResponseParser(limits: limits)
            var buffer = ByteBuffer()
            var events = 0
            piecesLoop: for piece in pieces {
                buffer.writeBytes(piece)
                while true {
                    do {
                        guard try parser.parse(&buffer) != nil else { break }
                        events += 1
                        precondition(events <= bytes.count + 2, "more events than input bytes: a parser loop")
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
public func fuzzIMAPResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    IMAPResponseFuzzer.run(UnsafeBufferPointer(start: data, count: size))
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
struct IMAPResponseFuzzerMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzIMAPResponse))
        #else
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { "\(path)/\($0)" } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                Array(data).withUnsafeBufferPointer { IMAPResponseFuzzer.run($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        #endif
    }
}
