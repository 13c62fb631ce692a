import Foundation
import ProviderProfiles
import Testing

/// A fresh directory under the system temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mailferry-profiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct ProfileCatalogTests {
    static let builtIn = [
        ProviderProfile(name: "gmail", displayName: "Gmail", imap: ServerEndpoint(host: "imap.gmail.com", port: 993, security: .tls)),
        ProviderProfile(
            name: "yahoo", displayName: "Yahoo", domains: ["yahoo.com"],
            imap: ServerEndpoint(host: "imap.mail.yahoo.com", port: 993, security: .tls)),
    ]

    static func write(_ text: String, _ name: String, in directory: URL) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    @Test func userFilesOverrideByNameAndAddNewOnes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write(
            "name = \"gmail\"\ndisplay_name = \"My Gmail\"\n[imap]\nhost = \"imap.example\"\nport = 993\nsecurity = \"tls\"",
            "mine.toml", in: directory)
        try Self.write(
            "name = \"corp\"\ndisplay_name = \"Corp\"\ndomains = [\"corp.example\"]\n[imap]\nhost = \"\"\nport = 143\nsecurity = \"starttls\"",
            "corp.toml", in: directory)
        try Self.write("not a profile", "readme.txt", in: directory)

        let catalog = try ProfileCatalog(builtIn: Self.builtIn, userDirectory: directory)
        #expect(catalog.profiles.map(\.name) == ["corp", "gmail", "yahoo"])
        #expect(catalog.profile(named: "gmail")?.displayName == "My Gmail")
        #expect(catalog.entry(named: "gmail")?.origin == .file(directory.appendingPathComponent("mine.toml").path))
        #expect(catalog.entry(named: "yahoo")?.origin == .builtIn)
        #expect(catalog.profile(named: "CORP")?.imap?.port == 143)
        #expect(catalog.profile(forAddress: "me@Corp.Example")?.name == "corp")
        #expect(catalog.profile(named: "nope") == nil)
    }

    @Test func missingUserDirectoryMeansBuiltInsOnly() throws {
        let catalog = try ProfileCatalog(
            builtIn: Self.builtIn, userDirectory: URL(fileURLWithPath: "/nonexistent/mailferry-\(UUID().uuidString)"))
        #expect(catalog.profiles == Self.builtIn)
    }

    @Test func anErrorInAUserFileNamesTheFileAndLine() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write("name = \"bad\"\ndisplay_name = \"Bad\"\n[imap]\nhots = \"x\"\n", "bad.toml", in: directory)
        let path = directory.appendingPathComponent("bad.toml").path
        #expect {
            try ProfileCatalog(builtIn: Self.builtIn, userDirectory: directory)
        } throws: { error in
            guard let error = error as? ProfileError else { return false }
            return error.file == path && error.line == 4 && error.column == 1 && error.message.contains("unknown key `hots`")
        }
    }

    @Test func twoUserFilesWithOneNameAreAnError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = "name = \"twin\"\ndisplay_name = \"T\"\n[pop3]\nhost = \"pop.example\"\nport = 995\nsecurity = \"tls\""
        try Self.write(text, "a.toml", in: directory)
        try Self.write(text, "b.toml", in: directory)
        #expect {
            try ProfileCatalog(builtIn: [], userDirectory: directory)
        } throws: { error in
            (error as? ProfileError)?.file == directory.appendingPathComponent("b.toml").path
        }
    }

    @Test(arguments: [
        (["XDG_CONFIG_HOME": "/xdg"], "/xdg/mailferry/profiles"),
        ([:], "/home/u/.config/mailferry/profiles"),
        (["XDG_CONFIG_HOME": ""], "/home/u/.config/mailferry/profiles"),
        (["XDG_CONFIG_HOME": "relative"], "/home/u/.config/mailferry/profiles"),
    ])
    func defaultUserDirectory(environment: [String: String], expected: String) {
        #expect(ProfileCatalog.defaultUserDirectory(environment: environment, home: "/home/u").path == expected)
    }

    @Test("without XDG_CONFIG_HOME, $HOME decides where user profiles are (not the password database)")
    func homeFromEnvironment() {
        #expect(ProfileCatalog.defaultUserDirectory(environment: ["HOME": "/elsewhere/me"]).path == "/elsewhere/me/.config/mailferry/profiles")
        #expect(
            ProfileCatalog.defaultUserDirectory(environment: ["HOME": "/elsewhere/me", "XDG_CONFIG_HOME": "/xdg"]).path
                == "/xdg/mailferry/profiles")
    }

    @Test("lenient: a broken user file is left out and listed in problems; the other files and the built-ins stay")
    func lenientCatalog() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write("name = \"bad\"\ndisplay_name = \"Bad\"\n[imap]\nhots = \"x\"\n", "bad.toml", in: directory)
        try Self.write(
            "name = \"good\"\ndisplay_name = \"G\"\n[pop3]\nhost = \"pop.example\"\nport = 995\nsecurity = \"tls\"", "good.toml", in: directory)
        let catalog = try ProfileCatalog(builtIn: Self.builtIn, userDirectory: directory, lenient: true)
        #expect(catalog.profile(named: "good") != nil)
        #expect(catalog.profile(named: "bad") == nil)
        #expect(catalog.problems.map(\.line) == [4])
        #expect(catalog.profiles.count == Self.builtIn.count + 1)
    }
}
