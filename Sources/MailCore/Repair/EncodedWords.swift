import Foundation

/// RFC 2047 encoded-words for header fields that carry raw 8-bit bytes, for destinations that
/// accept only ASCII headers. Text is labelled UTF-8 when it is valid UTF-8, else windows-1252
/// (what undeclared 8-bit mail mostly is). Addresses themselves cannot be encoded: an 8-bit
/// byte inside `<…>` or next to `@` is left and reported.
enum EncodedWords {
    struct Encoded {
        var line: [UInt8]
        var changed: Bool
        var note: String?
    }

    /// Fields whose value is a list of addresses: only display names (phrases) may be encoded.
    static let addressFields: Set<String> = [
        "from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc",
        "resent-sender", "disposition-notification-to", "return-receipt-to", "mail-followup-to", "mail-reply-to",
    ]
    /// Fields with MIME parameters, where a quoted value keeps its quotes around the encoded words.
    static let parameterFields: Set<String> = ["content-type", "content-disposition"]

    /// An unfolded field (`Name: value`, no CRLF) with its 8-bit parts encoded.
    static func encodeField(_ line: [UInt8]) -> Encoded {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return Encoded(line: line, changed: false, note: "a header line without a field name has 8-bit bytes; sent as it is")
        }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased().trimmingCharacters(in: .whitespaces)
        let value = Array(line[(colon + 1)...])
        var output = Array(line[...colon])
        let result: (bytes: [UInt8], leftover: Bool)
        if addressFields.contains(name) {
            result = encodePhrases(value)
        } else if parameterFields.contains(name) {
            result = encodeQuoted(value)
        } else {
            result = (encodeSpan(value), false)
        }
        output += result.bytes
        let note = result.leftover ? "header field \(HeaderSection.name(of: line)) has 8-bit bytes where RFC 2047 cannot encode them (an address, a bare parameter); sent as they are" : nil
        return Encoded(line: output, changed: output != line, note: note)
    }

    /// Unstructured text: the stretch from the first to the last word with 8-bit bytes becomes
    /// encoded-words (spaces inside it are kept inside the encoding).
    static func encodeSpan(_ value: [UInt8]) -> [UInt8] {
        guard let first8 = value.firstIndex(where: { $0 >= 0x80 }), let last8 = value.lastIndex(where: { $0 >= 0x80 }) else {
            return value
        }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        var start = first8
        while start > 0, !isSpace(value[start - 1]) { start -= 1 }
        var end = last8 + 1
        while end < value.count, !isSpace(value[end]) { end += 1 }
        return Array(value[..<start]) + words(Array(value[start..<end])) + Array(value[end...])
    }

    /// Address lists: quoted display names and bare words with 8-bit bytes become encoded-words
    /// (no quotes: an encoded-word is a phrase's atom); nothing inside `<…>` or with `@` changes.
    static func encodePhrases(_ value: [UInt8]) -> (bytes: [UInt8], leftover: Bool) {
        var output: [UInt8] = []
        var leftover = false
        var index = 0
        var angle = false
        while index < value.count {
            let byte = value[index]
            if !angle, byte == UInt8(ascii: "\"") {
                let close = closingQuote(value, from: index)
                let content = Array(value[(index + 1)..<min(close, value.count)])
                if content.contains(where: { $0 >= 0x80 }) {
                    output += words(unescape(content))
                } else {
                    output += value[index..<min(close + 1, value.count)]
                }
                index = close + 1
                continue
            }
            if byte == UInt8(ascii: "<") { angle = true }
            if byte == UInt8(ascii: ">") { angle = false }
            if !angle, byte >= 0x80 {
                // A bare word: encode it unless it is part of an address.
                var start = index
                while start > 0, !isDelimiter(value[start - 1]) { start -= 1 }
                var end = index
                while end < value.count, !isDelimiter(value[end]) { end += 1 }
                let word = Array(value[start..<end])
                if word.contains(UInt8(ascii: "@")) {
                    leftover = true
                    output += value[index..<end]
                } else {
                    output.removeLast(index - start)
                    output += words(word)
                }
                index = end
                continue
            }
            if angle, byte >= 0x80 { leftover = true }
            output.append(byte)
            index += 1
        }
        return (output, leftover)
    }

    /// MIME parameters: a quoted value with 8-bit bytes keeps its quotes with encoded-words
    /// inside (what mail clients read); an unquoted one is quoted. Other text as unstructured.
    static func encodeQuoted(_ value: [UInt8]) -> (bytes: [UInt8], leftover: Bool) {
        var output: [UInt8] = []
        var leftover = false
        var index = 0
        while index < value.count {
            let byte = value[index]
            if byte == UInt8(ascii: "\"") {
                let close = closingQuote(value, from: index)
                let content = Array(value[(index + 1)..<min(close, value.count)])
                if content.contains(where: { $0 >= 0x80 }) {
                    output += [UInt8(ascii: "\"")] + words(unescape(content)) + [UInt8(ascii: "\"")]
                } else {
                    output += value[index..<min(close + 1, value.count)]
                }
                index = close + 1
            } else if byte == UInt8(ascii: "="), index + 1 < value.count, value[index + 1] != UInt8(ascii: "\"") {
                var end = index + 1
                while end < value.count, value[end] != UInt8(ascii: ";"), value[end] != 0x20, value[end] != 0x09 { end += 1 }
                let token = Array(value[(index + 1)..<end])
                output.append(byte)
                if token.contains(where: { $0 >= 0x80 }) {
                    output += [UInt8(ascii: "\"")] + words(token) + [UInt8(ascii: "\"")]
                } else {
                    output += token
                }
                index = end
            } else {
                if byte >= 0x80 { leftover = true }
                output.append(byte)
                index += 1
            }
        }
        return (output, leftover)
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
    }

    /// The index of the quote closing the one at `start` (escapes honoured), or the end.
    private static func closingQuote(_ value: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < value.count {
            if value[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if value[index] == UInt8(ascii: "\"") { return index }
            index += 1
        }
        return value.count
    }

    private static func unescape(_ content: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var escaped = false
        for byte in content {
            if !escaped, byte == UInt8(ascii: "\\") {
                escaped = true
                continue
            }
            escaped = false
            output.append(byte)
        }
        return output
    }

    /// `text` as one or more `=?charset?B?…?=` words of at most 75 characters, space-separated
    /// (a decoder drops the spaces between adjacent encoded-words), cut between characters.
    static func words(_ text: [UInt8]) -> [UInt8] {
        let utf8 = String(validating: text, as: UTF8.self) != nil
        let charset = utf8 ? "UTF-8" : "windows-1252"
        let capacity = 45  // 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" stays under 75
        var output: [UInt8] = []
        var start = 0
        while start < text.count {
            var end = min(start + capacity, text.count)
            // Never split a UTF-8 sequence: back off continuation bytes.
            while utf8, end < text.count, end > start + 1, text[end] & 0xC0 == 0x80 { end -= 1 }
            if !output.isEmpty { output.append(0x20) }
            output += Array("=?\(charset)?B?".utf8) + Array(Data(text[start..<end]).base64EncodedString().utf8) + Array("?=".utf8)
            start = end
        }
        return output
    }
}

/// Header fields MailFerry writes itself.
public enum HeaderEncoding {
    /// The lines (without line breaks) of `Name: value`, a non-ASCII value as RFC 2047
    /// encoded-words, folded to 78 characters where it can be.
    public static func field(name: String, value: String) -> [[UInt8]] {
        let bytes = Array(value.utf8)
        let encoded = bytes.contains(where: { $0 >= 0x80 }) ? EncodedWords.encodeSpan(bytes) : bytes
        return HeaderFolding.fold(Array("\(name): ".utf8) + encoded, limit: 78, hardLimit: 998)
    }
}
