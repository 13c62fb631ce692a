import BuiltInProfiles
import Foundation
import ProviderProfiles
import Testing

/// The package's `profiles/` directory, found from this file's path.
let profilesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("profiles", isDirectory: true).resolvingSymlinksInPath()

/// Every `profiles/*.toml`, sorted by name as the plugin sorts them.
func profileFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: profilesDirectory, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "toml" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Suite struct ProfileFilesTests {
    static let expectedNames = [
        "aol", "cyrus", "dovecot", "fastmail", "gmail", "gmx", "icloud", "office365", "outlook", "protonmail-bridge", "yahoo",
        "zoho",
    ]

    @Test func everyProfileFileLoadsAndIsNamedAfterItsProfile() throws {
        let files = try profileFiles()
        #expect(files.map { $0.deletingPathExtension().lastPathComponent } == Self.expectedNames)
        for file in files {
            let profile = try ProfileDecoder().decodeFile(atPath: file.path)
            #expect(profile.name + ".toml" == file.lastPathComponent)
            #expect(profile.notes?.isEmpty == false, "\(profile.name) should say something in notes")
        }
    }

    /// Catches a stale build: the plugin's output must match what the files say now.
    @Test func builtInsEqualTheFilesDecodedNow() throws {
        let decoded = try profileFiles().map { try ProfileDecoder().decodeFile(atPath: $0.path) }
        #expect(BuiltInProfiles.all.map(\.name) == decoded.map(\.name))
        for (builtIn, now) in zip(BuiltInProfiles.all, decoded) {
            #expect(builtIn == now, "built-in \(builtIn.name) differs from profiles/\(now.name).toml; rebuild")
        }
    }

    @Test func gmailHasTheDocumentedLimits() throws {
        let gmail = try #require(BuiltInProfiles.all.first { $0.name == "gmail" })
        #expect(gmail.imap?.host == "imap.gmail.com")
        #expect(gmail.imap?.port == 993)
        #expect(gmail.imap?.security == .tls)
        #expect(gmail.imap?.maxConnections == 15)
        #expect(gmail.imap?.auth.first == .xoauth2)
        #expect(gmail.limits.maxMessageSize == 35_651_584)
        #expect(gmail.limits.dailyDownloadBytes == 2500 * 1_048_576)
        #expect(gmail.limits.dailyUploadBytes == 500 * 1_048_576)
        #expect(gmail.folders.labels)
        #expect(gmail.folders.special[.all] == "[Gmail]/All Mail")
        #expect(gmail.folders.skip.contains("[Gmail]/All Mail"))
    }

    @Test func office365ReservesFilesAndKnowsItsThrottleText() throws {
        let office = try #require(BuiltInProfiles.all.first { $0.name == "office365" })
        #expect(office.folders.reserved.contains("Files"))
        #expect(office.limits.messageLimit != nil)
        let pattern = try #require(office.throttle.backoffPatterns.first)
        let match = try Regex(pattern).firstMatch(in: "OK Suggested Backoff Time: 40000 milliseconds")
        #expect(match != nil)
    }

    @Test func protonBridgeIsLocalStartTLS() throws {
        let bridge = try #require(BuiltInProfiles.all.first { $0.name == "protonmail-bridge" })
        #expect(bridge.imap == ServerEndpoint(host: "127.0.0.1", port: 1143, security: .starttls, auth: [.plain, .login]))
    }

    @Test func genericProfilesTakeTheHostFromTheURL() throws {
        for name in ["dovecot", "cyrus"] {
            let profile = try #require(BuiltInProfiles.all.first { $0.name == name })
            #expect(profile.imap?.takesHostFromURL == true, "\(name)")
        }
    }

    @Test func dovecotRemovesNULBeforeSending() throws {
        // Dovecot stores NUL as 0x80 even from literal8 (RepairCLITests.nulAndDovecot shows it).
        let dovecot = try #require(BuiltInProfiles.all.first { $0.name == "dovecot" })
        #expect(dovecot.repair.beforeSending == ["nul"])
        #expect(dovecot.notes?.contains("0x80") == true)
        #expect(BuiltInProfiles.all.filter { !$0.repair.beforeSending.isEmpty }.map(\.name) == ["dovecot"])
    }

    @Test func icloudLimitsMessagesTo20MB() throws {
        let icloud = try #require(BuiltInProfiles.all.first { $0.name == "icloud" })
        #expect(icloud.limits.maxMessageSize == 20 * 1_048_576)
    }
}
