#if canImport(CommonCrypto)
import CommonCrypto
#else
import CLibCrypto
#endif

/// SHA-256 (FIPS 180-4), incremental, from the platform's crypto library: OpenSSL's libcrypto on
/// Linux, CommonCrypto on macOS. Both use the CPU's SHA instructions where present, which makes
/// fingerprinting nearly free next to disk and network I/O (about 9× a portable implementation).
///
/// A value type: copying it copies the hash state.
public struct SHA256: Sendable {
    #if canImport(CommonCrypto)
    private var context = CC_SHA256_CTX()
    #else
    private var context = SHA256_CTX()
    #endif

    public init() {
        #if canImport(CommonCrypto)
        CC_SHA256_Init(&context)
        #else
        SHA256_Init(&context)
        #endif
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        #if canImport(CommonCrypto)
        var offset = 0
        while offset < bytes.count {  // CC_LONG is 32 bits
            let count = min(bytes.count - offset, 1 << 30)
            CC_SHA256_Update(&context, base + offset, CC_LONG(count))
            offset += count
        }
        #else
        SHA256_Update(&context, base, bytes.count)
        #endif
    }

    /// Finishes the hash and returns the 32-byte digest. The hasher must not be used afterwards.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { buffer in
            #if canImport(CommonCrypto)
            _ = CC_SHA256_Final(buffer.baseAddress, &context)
            #else
            _ = SHA256_Final(buffer.baseAddress, &context)
            #endif
        }
        return digest
    }
}
