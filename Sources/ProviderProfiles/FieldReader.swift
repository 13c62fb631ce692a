import TOMLParser

/// Reads the keys of one TOML table for the decoder: rejects keys it does not know (with a
/// "did you mean" hint), reports missing and mistyped values at their source position.
struct FieldReader {
    let table: TOMLTable
    let file: String
    /// `[imap]`, or empty for the top level; used in messages.
    let section: String
    /// Where the table starts, for "missing key" messages.
    let position: SourcePosition

    init(_ table: TOMLTable, file: String, section: String, position: SourcePosition, known: [String]) throws(ProfileError) {
        self.table = table
        self.file = file
        self.section = section
        self.position = position
        for entry in table.entries where !known.contains(entry.key) {
            var message = "unknown key `\(entry.key)`\(where_)"
            if let guess = Self.closest(to: entry.key, in: known) { message += "; did you mean `\(guess)`?" }
            message += " Known keys: \(known.joined(separator: ", "))"
            throw ProfileError(file: file, at: entry.keyPosition, message)
        }
    }

    private var where_: String { section.isEmpty ? " at the top level" : " in \(section)" }

    func fail(_ message: String, at position: SourcePosition) -> ProfileError {
        ProfileError(file: file, at: position, message)
    }

    private func wrongType(_ key: String, _ value: TOMLValue, expected: String) -> ProfileError {
        fail("`\(key)`\(where_) must be \(expected), found \(value.typeNameWithArticle)", at: value.position)
    }

    func missing(_ key: String, example: String) -> ProfileError {
        fail("missing required key `\(key)`\(where_); add e.g. `\(key) = \(example)`", at: position)
    }

    func value(_ key: String) -> TOMLValue? { table[key] }

    func string(_ key: String) throws(ProfileError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw wrongType(key, value, expected: "a string") }
        return text
    }

    func string(_ key: String, example: String) throws(ProfileError) -> String {
        guard let text = try string(key) else { throw missing(key, example: example) }
        return text
    }

    func boolean(_ key: String) throws(ProfileError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.boolean else { throw wrongType(key, value, expected: "`true` or `false`") }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ProfileError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let raw = value.integer else { throw wrongType(key, value, expected: "an integer") }
        guard let number = Int(exactly: raw), range.contains(number) else {
            throw fail("`\(key)`\(where_) must be between \(range.lowerBound) and \(range.upperBound), found \(raw)", at: value.position)
        }
        return number
    }

    func integer(_ key: String, in range: ClosedRange<Int>, example: String) throws(ProfileError) -> Int {
        guard let number = try integer(key, in: range) else { throw missing(key, example: example) }
        return number
    }

    /// An array of strings, each with its position.
    func strings(_ key: String) throws(ProfileError) -> [(text: String, position: SourcePosition)] {
        guard let value = table[key] else { return [] }
        guard let elements = value.array else { throw wrongType(key, value, expected: "an array of strings") }
        var result: [(String, SourcePosition)] = []
        for element in elements {
            guard let text = element.string else {
                throw fail("`\(key)`\(where_) must hold only strings, found \(element.typeNameWithArticle)", at: element.position)
            }
            result.append((text, element.position))
        }
        return result
    }

    /// A sub-table (`[imap]`, `special = { … }`) and where it starts.
    func table(_ key: String) throws(ProfileError) -> (table: TOMLTable, position: SourcePosition)? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else { throw wrongType(key, value, expected: "a table") }
        return (sub, value.position)
    }

    /// The known key nearest to a misspelt one, if it is close enough to be a typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(Array(word), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, best.0.count / 3) else { return nil }
        return best.0
    }

    /// Levenshtein distance, bounded by the lengths of two short keys.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty, a.count <= 64, b.count <= 64 else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }
}
