import Testing
import TOMLParser

@Suite struct TOMLLimitsTests {
    static let small = TOMLLimits(maxInputBytes: 200, maxLineBytes: 40, maxDepth: 4, maxStringBytes: 10)

    @Test(arguments: [
        (String(repeating: "a = 1\n", count: 40), 1, 1, "the limit is 200 bytes"),
        ("a = 1\nb = \"" + String(repeating: "x", count: 50) + "\"", 2, 41, "longer than 40 bytes"),
        ("a = [[[[[1]]]]]", 1, 9, "nested more than 4 deep"),
        ("a = {b = {c = {d = {e = {}}}}}", 1, 25, "nested more than 4 deep"),
        ("a = \"0123456789X\"", 1, 5, "longer than 10 bytes"),
        ("a = '0123456789X'", 1, 5, "longer than 10 bytes"),
        ("a = \"\"\"0123456789X\"\"\"", 1, 5, "longer than 10 bytes"),
        ("a.b.c.d.e = 1", 1, 9, "more than 4 parts"),
    ])
    func limitIsAnErrorAtThePlace(input: String, line: Int, column: Int, message: String) {
        #expect {
            try TOMLParser(limits: Self.small).parse(input, file: "limits.toml")
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            #expect((error.line, error.column) == (line, column), "\(error)")
            #expect(error.message.contains(message), "\(error)")
            return true
        }
    }

    @Test func inputsAtTheLimitsParse() throws {
        let input = "a = [[[1]]]\nb = \"0123456789\"\nc.d.e.f = 1"
        let document = try TOMLParser(limits: Self.small).parse(input)
        #expect(document["b"]?.string == "0123456789")
        #expect(lookup(document, ["c", "d", "e", "f"])?.integer == 1)
    }

    @Test func defaultsAreTheDocumentedOnes() {
        #expect(TOMLLimits.default == TOMLLimits(maxInputBytes: 1_048_576, maxLineBytes: 8192, maxDepth: 32, maxStringBytes: 65_536))
    }

    @Test func deepNestingWithDefaultLimitsIsAnErrorNotACrash() {
        let input = "a = " + String(repeating: "[\n", count: 10_000)
        #expect(throws: TOMLError.self) { try TOMLParser().parse(input) }
    }

    /// Mutated documents must fail cleanly: every error inside the input's bounds.
    @Test func mutatedInputsNeverTrapAndErrorsPointInsideTheInput() {
        let seed = Array(
            """
            name = "gmail" # c
            [imap]
            host = "imap.gmail.com"
            port = 0x3E1
            auth = ["a", 'b', \"\"\"c\"\"\"]
            t = { x = 1.5e3, y = 1979-05-27T07:32:00Z }
            [[p]]
            s = '''
            x'''
            """.utf8)
        let alphabet = Array("\"'[]{}=.,#\\\n\r\t u0x_:-+eE1".utf8) + [0x00, 0xC3, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var outOfBounds: [String] = []
        for _ in 0..<3000 {
            var input = seed
            for _ in 0..<(1 + next() % 4) {
                let at = next() % (input.count + 1)
                switch next() % 3 {
                case 0: input.insert(alphabet[next() % alphabet.count], at: at)
                case 1: if at < input.count { input.remove(at: at) }
                default: if at < input.count { input[at] = alphabet[next() % alphabet.count] }
                }
            }
            let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false)
            do {
                _ = try TOMLParser().parse(bytes: input, file: "m.toml")
            } catch {
                let lineLength = error.line <= lines.count ? lines[error.line - 1].count : 0
                if error.line < 1 || error.line > lines.count || error.column < 1 || error.column > lineLength + 1 {
                    outOfBounds.append(error.description)
                }
            }
        }
        #expect(outOfBounds.isEmpty, "\(outOfBounds.prefix(5))")
    }
}
