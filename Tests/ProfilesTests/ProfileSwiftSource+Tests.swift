import Foundation
import ProviderProfiles
import Testing

@Suite struct ProfileSwiftSourceTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        (#"say "hi""#, #""say \"hi\"""#),
        (#"back\slash"#, #""back\\slash""#),
        (#"\(interpolation)"#, #""\\(interpolation)""#),
        ("line\nbreak\ttab\r", #""line\nbreak\ttab\r""#),
        ("é😀", #""\u{E9}\u{1F600}""#),
        ("nul\u{0}", #""nul\u{0}""#),
        ("\"\"\"", #""\"\"\"""#),
    ])
    func stringLiteralsAreEscaped(text: String, literal: String) {
        #expect(ProfileSwiftSource.literal(text) == literal)
    }

    @Test func rendersALetDeclarationOfEveryProfile() {
        let profile = ProviderProfile(
            name: "x", displayName: "X", notes: nil,
            pop3: ServerEndpoint(host: "pop.x", port: 995, security: .tls, auth: [.cramMD5], maxConnections: 2),
            folders: FolderHints(special: [.trash: "Bin", .sent: "Out"]))
        let source = ProfileSwiftSource.render([profile], name: "table")
        #expect(source.contains("import ProviderProfiles\n"))
        #expect(source.contains("let table: [ProviderProfile] = [\n"))
        #expect(source.contains("pop3: ServerEndpoint(host: \"pop.x\", port: 995, security: .tls, auth: [.cramMD5], maxConnections: 2)"))
        #expect(source.contains("imap: nil"))
        #expect(source.contains("special: [.sent: \"Out\", .trash: \"Bin\"]"))
        #expect(ProfileSwiftSource.render([profile], name: "table") == source, "output must be deterministic")
    }
}

@Suite struct ProfileCompilerTests {
    @Test func writesSourceAndReportsErrorsCompilerStyle() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.toml").path
        let bad = directory.appendingPathComponent("bad.toml").path
        let output = directory.appendingPathComponent("Out.swift").path
        try Data("name = \"good\"\ndisplay_name = \"G\"\n[imap]\nhost = \"h\"\nport = 993\nsecurity = \"tls\"".utf8)
            .write(to: URL(fileURLWithPath: good))
        try Data("name = \"bad\"\ndisplay_name = \"B\"\n[imap]\nhost = \"h\"\nport = \"x\"\nsecurity = \"tls\"".utf8)
            .write(to: URL(fileURLWithPath: bad))

        var lines: [String] = []
        #expect(ProfileCompiler.run(arguments: [output, good]) { lines.append($0) } == 0)
        #expect(lines.isEmpty)
        let source = try String(contentsOfFile: output, encoding: .utf8)
        #expect(source.contains("name: \"good\""))

        #expect(ProfileCompiler.run(arguments: [output, good, bad]) { lines.append($0) } == 1)
        #expect(lines == ["\(bad):5:8: error: `port` in [imap] must be an integer, found a string"])
        #expect(try String(contentsOfFile: output, encoding: .utf8) == source, "a failed run must not touch the output")

        lines = []
        #expect(ProfileCompiler.run(arguments: [output, good, good]) { lines.append($0) } == 1)
        #expect(lines.first?.contains("already used by") == true)

        lines = []
        #expect(ProfileCompiler.run(arguments: [good]) { lines.append($0) } == 2)
        #expect(lines == [ProfileCompiler.usage])

        let onlyGood = directory.appendingPathComponent("only-good", isDirectory: true)
        try FileManager.default.createDirectory(at: onlyGood, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: good, toPath: onlyGood.appendingPathComponent("good.toml").path)
        #expect(ProfileCompiler.run(arguments: [output, onlyGood.path]) { lines.append($0) } == 0, "a directory stands for its *.toml files")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == source)
        #expect(ProfileCompiler.run(arguments: [output, directory.path]) { lines.append($0) } == 1, "bad.toml is in the directory")

        lines = []
        #expect(ProfileCompiler.run(arguments: [output]) { lines.append($0) } == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("let generatedProfiles: [ProviderProfile] = [\n]"))
    }
}
