/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
///
/// Printable ASCII (0x20–0x7E) stands for itself, `&` is written `&-`, and every other character
/// is UTF-16 in a modified base64 (`,` instead of `/`, no padding) between `&` and `-`.
/// Decoding is strict: anything an encoder would not have produced is rejected, so that a name
/// has exactly one spelling and `decode(encode(name)) == name` for every valid name.
public enum ModifiedUTF7 {
    /// Why a string is not valid modified UTF-7; `offset` is the byte position in the input.
    public enum DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A byte outside printable ASCII appears unencoded.
        case invalidCharacter(offset: Int)
        /// An `&` without its closing `-`.
        case unterminatedShift(offset: Int)
        /// A character inside `&…-` that is not in the modified base64 alphabet.
        case invalidBase64(offset: Int)
        /// Left-over bits after the last UTF-16 unit are not zero or are too many.
        case invalidPadding(offset: Int)
        /// A UTF-16 surrogate without its partner.
        case loneSurrogate(offset: Int)
        /// A form an encoder never produces: printable ASCII inside `&…-`, or two adjacent
        /// encoded runs that should have been one.
        case nonCanonical(offset: Int)

        public var description: String {
            switch self {
            case .invalidCharacter(let o): return "byte at offset \(o) is not printable ASCII"
            case .unterminatedShift(let o): return "'&' at offset \(o) is not closed by '-'"
            case .invalidBase64(let o): return "invalid modified-base64 character at offset \(o)"
            case .invalidPadding(let o): return "non-zero or excess padding bits in run ending at offset \(o)"
            case .loneSurrogate(let o): return "unpaired UTF-16 surrogate in run ending at offset \(o)"
            case .nonCanonical(let o): return "non-canonical encoding at offset \(o)"
            }
        }
    }

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// Encodes a Unicode name.
    public static func encode(_ name: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(name.utf8.count + 8)
        var pending: [UInt16] = []

        func flush() {
            guard !pending.isEmpty else { return }
            output.append(UInt8(ascii: "&"))
            var bits: UInt32 = 0
            var bitCount = 0
            for unit in pending {
                bits = (bits << 16) | UInt32(unit)
                bitCount += 16
                while bitCount >= 6 {
                    bitCount -= 6
                    output.append(alphabet[Int((bits >> UInt32(bitCount)) & 0x3f)])
                }
                bits &= (1 << UInt32(bitCount)) - 1
            }
            if bitCount > 0 {
                output.append(alphabet[Int((bits << UInt32(6 - bitCount)) & 0x3f)])
            }
            output.append(UInt8(ascii: "-"))
            pending.removeAll(keepingCapacity: true)
        }

        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7e {
                flush()
                output.append(UInt8(scalar.value))
                if scalar == "&" { output.append(UInt8(ascii: "-")) }
            } else {
                pending.append(contentsOf: UTF16.encode(scalar)!)
            }
        }
        flush()
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes a name, rejecting malformed and non-canonical input.
    public static func decode(_ encoded: String) throws(DecodingError) -> String {
        let bytes = Array(encoded.utf8)
        var result = String.UnicodeScalarView()
        var index = 0
        var previousRunEnd = -1  // index just after the '-' of the last base64 run
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 0x20 && byte <= 0x7e else { throw .invalidCharacter(offset: index) }
            guard byte == UInt8(ascii: "&") else {
                result.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            let start = index
            index += 1
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "-")) else {
                throw .unterminatedShift(offset: start)
            }
            if end == index {  // "&-"
                result.append("&")
                index = end + 1
                continue
            }
            if previousRunEnd == start { throw .nonCanonical(offset: start) }
            var units: [UInt16] = []
            var bits: UInt32 = 0
            var bitCount = 0
            for position in index..<end {
                let value = decodeTable[Int(bytes[position])]
                guard value >= 0 else { throw .invalidBase64(offset: position) }
                bits = (bits << 6) | UInt32(value)
                bitCount += 6
                if bitCount >= 16 {
                    bitCount -= 16
                    units.append(UInt16((bits >> UInt32(bitCount)) & 0xffff))
                    bits &= (1 << UInt32(bitCount)) - 1
                }
            }
            guard bitCount < 6, bits == 0, !units.isEmpty else { throw .invalidPadding(offset: end) }
            var iterator = units.makeIterator()
            var decoder = UTF16()
            decodeLoop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    if scalar.value >= 0x20 && scalar.value <= 0x7e { throw .nonCanonical(offset: start) }
                    result.append(scalar)
                case .emptyInput:
                    break decodeLoop
                case .error:
                    throw .loneSurrogate(offset: end)
                }
            }
            index = end + 1
            previousRunEnd = index
        }
        return String(result)
    }
}
