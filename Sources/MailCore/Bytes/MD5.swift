#if canImport(CommonCrypto)
import CommonCrypto
#else
import CLibCrypto
#endif

/// MD5 (RFC 1321), for POP3's APOP only: a broken hash, used because that old protocol
/// requires it, and only when the user explicitly allows APOP.
public enum MD5 {
    /// The digest of `bytes` as 32 lower-case hex digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { output in
                #if canImport(CommonCrypto)
                _ = CC_MD5(input.baseAddress, CC_LONG(input.count), output.baseAddress!.assumingMemoryBound(to: UInt8.self))
                #else
                _ = CLibCrypto.MD5(
                    input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count,
                    output.baseAddress!.assumingMemoryBound(to: UInt8.self))
                #endif
            }
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
