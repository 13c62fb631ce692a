#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif
import MailCore
import Synchronization

/// A Maildir message file name: `unique[,S=size][,W=vsize][:2,letters]`.
///
/// The base (everything before the info separator) is the message's stable key: flags change the
/// name's tail, never its base.
public struct MaildirFileName: Sendable, Hashable {
    /// The name up to the info separator: unique part plus `,S=`/`,W=` fields.
    public var base: String
    /// The letters after `2,`, or `nil` when the name has no (recognised) info.
    public var infoLetters: Substring?
    /// The `S=` size: the file's size in bytes as written, when present.
    public var size: Int?
    /// The `W=` size: the size with CRLF line endings, when present.
    public var virtualSize: Int?

    public init(parsing name: String) {
        var base = Substring(name)
        var info: Substring?
        var text = name
        if let offset = text.withUTF8(Self.infoOffset) {
            let start = name.utf8.index(name.utf8.startIndex, offsetBy: offset)
            base = name[..<start]
            info = name[name.utf8.index(start, offsetBy: 3)...]
        }
        self.base = String(base)
        self.infoLetters = info
        self.size = nil
        self.virtualSize = nil
        for field in base.split(separator: ",").dropFirst() {
            if field.hasPrefix("S=") { self.size = Int(field.dropFirst(2)) }
            if field.hasPrefix("W=") { self.virtualSize = Int(field.dropFirst(2)) }
        }
    }

    /// Where the info starts: the last `<separator>2,` of the first separator that has one.
    private static func infoOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for separator in MaildirInfo.separators {
            let mark = separator.asciiValue!
            var index = bytes.count - 3
            while index >= 0 {
                if bytes[index] == mark && bytes[index + 1] == UInt8(ascii: "2") && bytes[index + 2] == UInt8(ascii: ",") {
                    return index
                }
                index -= 1
            }
        }
        return nil
    }

    /// Natural order of two file names: runs of digits compare as numbers, the rest byte-wise.
    public static func deliveredBefore(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        // Native strings are contiguous UTF-8: compare in place, without copying a digit run.
        return a.withUTF8 { left in b.withUTF8 { right in deliveredBefore(left, right) } }
    }

    private static func deliveredBefore(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        var l = 0
        var r = 0
        while l < left.count && r < right.count {
            let x = left[l]
            let y = right[r]
            if isDigit(x) && isDigit(y) {
                // Each run without its leading zeros: the longer is the larger number.
                while l < left.count && left[l] == 48 { l += 1 }
                while r < right.count && right[r] == 48 { r += 1 }
                var leftEnd = l
                var rightEnd = r
                while leftEnd < left.count && isDigit(left[leftEnd]) { leftEnd += 1 }
                while rightEnd < right.count && isDigit(right[rightEnd]) { rightEnd += 1 }
                if leftEnd - l != rightEnd - r { return leftEnd - l < rightEnd - r }
                while l < leftEnd {
                    if left[l] != right[r] { return left[l] < right[r] }
                    l += 1
                    r += 1
                }
                continue
            }
            if x != y { return x < y }
            l += 1
            r += 1
        }
        return l == left.count && r < right.count
    }

    /// The full file name for `cur/` with the given flag letters.
    public func name(withLetters letters: String) -> String { "\(base):2,\(letters)" }

    /// A new unique base as Dovecot and qmail make them: `seconds.M<µs>P<pid>Q<n>R<random>.host`,
    /// followed by `,S=<size>,W=<vsize>` so readers need not stat the file.
    public static func uniqueBase(size: Int, virtualSize: Int) -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let counter = Counter.next()
        let random = UInt32.random(in: 0...UInt32.max)
        let hex = String(random, radix: 16)
        return "\(now.tv_sec).M\(now.tv_nsec / 1000)P\(getpid())Q\(counter)R\(hex).\(safeHostName),S=\(size),W=\(virtualSize)"
    }

    /// The host name with the characters that have meaning in Maildir names escaped
    /// (`/` as `\057`, `:` as `\072`, `,` as `\054`), as the Maildir specification recommends.
    static let safeHostName: String = {
        var result = ""
        for character in POSIX.hostName() {
            switch character {
            case "/": result += "\\057"
            case ":": result += "\\072"
            case ",": result += "\\054"
            case ";", "!": result += "_"
            default: result.append(character)
            }
        }
        return result.isEmpty ? "localhost" : result
    }()

    /// A process-wide delivery counter, so names made within one microsecond still differ.
    enum Counter {
        private static let value = Atomic<UInt64>(0)
        static func next() -> UInt64 { value.wrappingAdd(1, ordering: .relaxed).newValue }
    }
}
