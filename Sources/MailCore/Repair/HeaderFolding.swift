/// Folds a header line per RFC 5322 §2.2.3: a CRLF inserted before a space or tab, never leaving
/// a line of whitespace only. Unfolding the result gives the original line back.
enum HeaderFolding {
    /// The line cut into lines of at most `limit` bytes where whitespace allows; a piece with no
    /// whitespace to fold at stays longer (callers compare with `hardLimit`).
    static func fold(_ line: [UInt8], limit: Int, hardLimit: Int) -> [[UInt8]] {
        guard line.count > limit else { return [line] }
        var pieces: [[UInt8]] = []
        var rest = line[...]
        while rest.count > limit {
            // The last whitespace within the limit that has something other than whitespace before it.
            var cut: Int?
            var position = rest.startIndex + min(limit, rest.count - 1)
            while position > rest.startIndex {
                if rest[position] == 0x20 || rest[position] == 0x09,
                    rest[rest.startIndex..<position].contains(where: { $0 != 0x20 && $0 != 0x09 })
                {
                    cut = position
                    break
                }
                position -= 1
            }
            if cut == nil, limit < hardLimit {
                return fold(line, limit: hardLimit, hardLimit: hardLimit)
            }
            if cut == nil {
                // No whitespace within the limit: fold at the first one after it, if any.
                cut = rest[(rest.startIndex + limit)...].firstIndex { $0 == 0x20 || $0 == 0x09 }
            }
            guard let at = cut else { break }
            pieces.append(Array(rest[rest.startIndex..<at]))
            rest = rest[at...]
        }
        pieces.append(Array(rest))
        return pieces
    }
}
