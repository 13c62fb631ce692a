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
        // The last `<separator>2,` of the first separator that has one, found byte-wise.
        let bytes = Array(name.utf8)
        search: for separator in MaildirInfo.separators {
            let mark = separator.asciiValue!
            var index = bytes.count - 3
            while index >= 0 {
                if bytes[index] == mark && bytes[index + 1] == UInt8(ascii: "2") && bytes[index + 2] == UInt8(ascii: ",") {
                    let start = name.utf8.index(name.utf8.startIndex, offsetBy: index)
                    base = name[..<start]
                    info = name[name.utf8.index(start, offsetBy: 3)...]
                    break search
                }
                index -= 1
            }
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

    /// Natural order of two file names: runs of digits compare as numbers, the rest byte-wise.
    public static func deliveredBefore(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        var l = left.next()
        var r = right.next()
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 48 && $0 <= 57 } ?? false }
        while let x = l, let y = r {
            if isDigit(x) && isDigit(y) {
                var leftDigits: [UInt8] = []
                var rightDigits: [UInt8] = []
                while isDigit(l) { leftDigits.append(l!); l = left.next() }
                while isDigit(r) { rightDigits.append(r!); r = right.next() }
                let leftTrimmed = leftDigits.drop(while: { $0 == 48 })
                let rightTrimmed = rightDigits.drop(while: { $0 == 48 })
                if leftTrimmed.count != rightTrimmed.count { return leftTrimmed.count < rightTrimmed.count }
                if !leftTrimmed.elementsEqual(rightTrimmed) { return leftTrimmed.lexicographicallyPrecedes(rightTrimmed) }
                continue
            }
            if x != y { return x < y }
            l = left.next()
            r = right.next()
        }
        return l == nil && r != nil
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
