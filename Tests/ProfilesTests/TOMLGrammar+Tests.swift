import Testing
import TOMLParser

/// Looks a dotted path up in a parsed document (`["a", "b"]` is `a.b`).
func lookup(_ table: TOMLTable, _ path: [String]) -> TOMLValue? {
    guard let first = path.first, let value = table[first] else { return nil }
    if path.count == 1 { return value }
    guard let sub = value.table else { return nil }
    return lookup(sub, Array(path.dropFirst()))
}

@Suite struct TOMLGrammarTests {
    @Test(arguments: [
        // Integers.
        ("a = 1", ["a"], TOMLValue.Kind.integer(1)),
        ("a = +17", ["a"], .integer(17)),
        ("a = -17", ["a"], .integer(-17)),
        ("a = 0", ["a"], .integer(0)),
        ("a = 1_000_000", ["a"], .integer(1_000_000)),
        ("a = 0xDEAD_beef", ["a"], .integer(0xDEAD_BEEF)),
        ("a = 0o755", ["a"], .integer(0o755)),
        ("a = 0b1101", ["a"], .integer(13)),
        ("a = 9223372036854775807", ["a"], .integer(.max)),
        ("a = -9223372036854775808", ["a"], .integer(.min)),
        // Floats.
        ("a = 3.14", ["a"], .float(3.14)),
        ("a = -0.01", ["a"], .float(-0.01)),
        ("a = 5e+22", ["a"], .float(5e22)),
        ("a = 1e06", ["a"], .float(1e6)),
        ("a = -2E-2", ["a"], .float(-0.02)),
        ("a = 224_617.445_991", ["a"], .float(224_617.445_991)),
        ("a = inf", ["a"], .float(.infinity)),
        ("a = -inf", ["a"], .float(-.infinity)),
        // Booleans.
        ("a = true", ["a"], .boolean(true)),
        ("a = false # no", ["a"], .boolean(false)),
        // Strings.
        (#"a = "tab\there""#, ["a"], .string("tab\there")),
        (#"a = "\b\f\n\r\"\\""#, ["a"], .string("\u{8}\u{C}\n\r\"\\")),
        (#"a = "caf\u00E9 \U0001F600""#, ["a"], .string("café 😀")),
        (#"a = 'C:\Users\nobody'"#, ["a"], .string(#"C:\Users\nobody"#)),
        (##"a = "# not a comment""##, ["a"], .string("# not a comment")),
        ("a = \"\"\"\nfirst\nsecond\"\"\"", ["a"], .string("first\nsecond")),
        ("a = \"\"\"one \\\n    two\"\"\"", ["a"], .string("one two")),
        ("a = \"\"\"say \"\"hi\"\"\"\"\"", ["a"], .string("say \"\"hi\"\"")),
        ("a = '''\nraw \\n\n'''", ["a"], .string("raw \\n\n")),
        ("a = ''''quoted'''''", ["a"], .string("'quoted''")),
        ("a = \"\"\"crlf\r\nline\"\"\"", ["a"], .string("crlf\nline")),
        // Keys.
        (#""quoted key" = 1"#, ["quoted key"], .integer(1)),
        ("'literal.key' = 2", ["literal.key"], .integer(2)),
        (#""" = 3"#, [""], .integer(3)),
        ("1234 = 4", ["1234"], .integer(4)),
        ("a.b.c = 5", ["a", "b", "c"], .integer(5)),
        ("a . \"b c\" . d = 6", ["a", "b c", "d"], .integer(6)),
        ("a.b = 1\na.c = 7", ["a", "c"], .integer(7)),
        // Tables.
        ("[x]\ny = 8", ["x", "y"], .integer(8)),
        ("[ x . y ]\nz = 9", ["x", "y", "z"], .integer(9)),
        ("[a.b]\nc = 1\n[a]\nd = 10", ["a", "d"], .integer(10)),
        ("[fruit]\napple.color = 1\n[fruit.apple.texture]\nsmooth = 11", ["fruit", "apple", "texture", "smooth"], .integer(11)),
        ("t = { x = 1, y.z = 12 }", ["t", "y", "z"], .integer(12)),
        ("t = {}", ["t"], .table(TOMLTable())),
        // Dates and times, kept as text.
        ("d = 1979-05-27T07:32:00Z", ["d"], .dateTime(TOMLDateTime(kind: .offsetDateTime, text: "1979-05-27T07:32:00Z"))),
        ("d = 1979-05-27T00:32:00.999-07:00", ["d"], .dateTime(TOMLDateTime(kind: .offsetDateTime, text: "1979-05-27T00:32:00.999-07:00"))),
        ("d = 1979-05-27 07:32:00", ["d"], .dateTime(TOMLDateTime(kind: .localDateTime, text: "1979-05-27 07:32:00"))),
        ("d = 2024-02-29", ["d"], .dateTime(TOMLDateTime(kind: .localDate, text: "2024-02-29"))),
        ("d = 07:32:00.5", ["d"], .dateTime(TOMLDateTime(kind: .localTime, text: "07:32:00.5"))),
        // Layout.
        ("# comment\n\n  a = 1   # trailing\r\nb = 13", ["b"], .integer(13)),
        ("\u{FEFF}a = 14", ["a"], .integer(14)),
        ("a=15", ["a"], .integer(15)),
    ])
    func validValue(input: String, path: [String], expected: TOMLValue.Kind) throws {
        let document = try TOMLParser().parse(input)
        let value = try #require(lookup(document, path), "no value at \(path)")
        #expect(value.kind == expected)
    }

    @Test func nanIsAFloat() throws {
        let value = try #require(try TOMLParser().parse("a = nan")["a"]?.float)
        #expect(value.isNaN)
    }

    @Test func arraysSpanLinesWithCommentsAndTrailingComma() throws {
        let document = try TOMLParser().parse("a = [\n  1, # one\n  \"two\",\n  [3, [4]],\n  { five = 5 },\n]\nb = []")
        let a = try #require(document["a"]?.array)
        #expect(a.count == 4)
        #expect(a[0].kind == .integer(1))
        #expect(a[1].kind == .string("two"))
        #expect(a[2].array?.count == 2)
        #expect(a[3].table?["five"]?.integer == 5)
        #expect(a[1].position == SourcePosition(line: 3, column: 3))
        #expect(document["b"]?.array?.isEmpty == true)
    }

    @Test func arraysOfTablesCollectElementsInOrder() throws {
        let input = "[[p]]\nn = 1\n[p.sub]\nx = 1\n[[p]]\nn = 2\n[[p.items]]\nk = 'a'"
        let p = try #require(try TOMLParser().parse(input)["p"]?.array)
        #expect(p.map { $0.table?["n"]?.integer } == [1, 2])
        #expect(p[0].table?["sub"]?.table?["x"]?.integer == 1)
        #expect(p[1].table?["items"]?.array?.first?.table?["k"]?.string == "a")
        #expect(p[1].position.line == 5)
    }

    @Test func keysAndValuesKnowTheirPositions() throws {
        let document = try TOMLParser().parse("# top\n[imap]\n  hots = \"x\"\n")
        let imap = try #require(document.entry("imap"))
        #expect(imap.value.position == SourcePosition(line: 2, column: 1))
        let entry = try #require(imap.value.table?.entry("hots"))
        #expect(entry.keyPosition == SourcePosition(line: 3, column: 3))
        #expect(entry.value.position == SourcePosition(line: 3, column: 10))
    }

    @Test func entriesKeepSourceOrder() throws {
        let document = try TOMLParser().parse("z = 1\na = 2\nm = 3")
        #expect(document.keys == ["z", "a", "m"])
    }

    @Test(arguments: [
        ("a = 1\na = 2", 2, 1, "duplicate key `a`"),
        ("a.b = 1\na.b = 2", 2, 3, "duplicate key `a.b`"),
        ("[t]\n[t]", 2, 1, "defined twice"),
        ("[a]\nb.c = 1\n[a.b]", 3, 1, "by dotted keys"),
        ("a = 1\na.b = 2", 2, 1, "an integer"),
        ("a = {x = 1}\na.y = 2", 2, 1, "inline table"),
        ("a = {x = 1}\n[a]", 2, 1, "already a table"),
        ("[[a]]\n[a]", 2, 1, "array of tables"),
        ("a = []\n[[a]]", 2, 1, "already an array"),
        ("[a.b]\n[a]\nb.c = 1", 3, 1, "add the key under that [header]"),
        ("a = \"open", 1, 5, "not closed"),
        ("a = \"x\ny\"", 1, 5, "line break"),
        ("a = 'x\ny'", 1, 5, "line break"),
        ("a = \"\"\"never", 1, 5, "not closed"),
        ("a = \"\\q\"", 1, 6, "invalid escape \\q"),
        ("a = \"\\uD800\"", 1, 6, "not a Unicode scalar"),
        ("a = \"\\u12\"", 1, 6, "4 hex digits"),
        ("a = \"\\ \"", 1, 6, "invalid escape"),
        ("a = \"bell\u{7}\"", 1, 10, "control character U+0007"),
        ("# bell \u{7}", 1, 8, "control character"),
        ("a = 01", 1, 5, "leading zeros"),
        ("a = 1__0", 1, 5, "not a valid value"),
        ("a = 1_", 1, 5, "not a valid value"),
        ("a = 0x", 1, 5, "not a valid value"),
        ("a = 0xG", 1, 5, "base-16"),
        ("a = 0x8000000000000000", 1, 5, "64-bit"),
        ("a = 9223372036854775808", 1, 5, "64-bit"),
        ("a = 1.", 1, 5, "not a valid number"),
        ("a = .5", 1, 5, "expected a value"),
        ("a = 1e", 1, 5, "not a valid number"),
        ("a = 1979-13-01", 1, 5, "invalid date"),
        ("a = 1979-02-30", 1, 5, "invalid date"),
        ("a = 25:00:00", 1, 5, "invalid date"),
        ("a = hello", 1, 5, "strings need quotes"),
        ("a = TRUE", 1, 5, "strings need quotes"),
        ("a =", 1, 4, "expected a value"),
        ("a = 1 b = 2", 1, 7, "unexpected text"),
        ("= 1", 1, 1, "expected a key before `=`"),
        ("a 1", 1, 3, "expected `=`"),
        ("a = [1, 2", 1, 5, "not closed"),
        ("a = [1 2]", 1, 8, "expected `,` or `]`"),
        ("a = [,]", 1, 6, "expected a value"),
        ("a = { b = 1, }", 1, 14, "trailing comma"),
        ("a = { b = 1\n}", 1, 12, "must close on the line"),
        ("a = { b = 1 c = 2 }", 1, 13, "expected `,` or `}`"),
        ("[a", 1, 3, "to close the header"),
        ("[[a]", 1, 4, "to close the header"),
        ("[]", 1, 2, "expected a key"),
        ("a = 1\rb = 2", 1, 6, "carriage return"),
        ("\"\"\"k\"\"\" = 1", 1, 1, "can't be a key"),
    ])
    func invalidInput(input: String, line: Int, column: Int, message: String) {
        #expect {
            try TOMLParser().parse(input, file: "t.toml")
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            #expect(error.file == "t.toml")
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            return true
        }
    }

    @Test func invalidUTF8IsReportedWhereItIs() {
        let bytes: [UInt8] = Array("ok = 1\na = \"".utf8) + [0xFF] + Array("\"".utf8)
        #expect(throws: TOMLError(file: "b.toml", line: 2, column: 6, message: "invalid UTF-8; save the file as UTF-8")) {
            try TOMLParser().parse(bytes: bytes, file: "b.toml")
        }
    }

    @Test func errorDescriptionIsFileLineColumnMessage() {
        let error = TOMLError(file: "profiles/gmail.toml", line: 12, column: 1, message: "unknown key `hots`")
        #expect(error.description == "profiles/gmail.toml:12:1: unknown key `hots`")
    }
}
