import ArgumentParser
import Engine
import MailCore
import ProviderProfiles

/// `mailferry profiles list|show NAME`: the provider profiles built in and the user's own.
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List provider profiles or show one.",
        discussion: """
            A profile knows a provider's servers, login methods, special folders, folders to skip, \
            limits and quirks. Use one as an endpoint (gmail://me@gmail.com, office365://me@example.com) \
            or with --source-profile/--dest-profile; a server named in a profile (imap.gmail.com) \
            picks it up by itself. Your own profiles in ~/.config/mailferry/profiles/*.toml \
            ($XDG_CONFIG_HOME) add to or replace the built-in ones (see profiles/README.md).
            """,
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the profiles.")

        func run() async throws {
            let catalog = try ProfileResolver.catalog(strict: true)
            let width = catalog.profiles.map(\.name.count).max() ?? 8
            for entry in catalog.entries {
                let profile = entry.profile
                let server = profile.imap.map { $0.host.isEmpty ? "(host from the URL)" : "\($0.host):\($0.port)" } ?? "(no IMAP)"
                var line = "\(profile.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(profile.displayName) — \(server)"
                if case .file(let path) = entry.origin { line += "  [\(path)]" }
                print(line)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show everything a profile says.")

        @Argument(help: "The profile's name (see `mailferry profiles list`).")
        var name: String

        func run() async throws {
            let catalog = try ProfileResolver.catalog(strict: true)
            guard let entry = catalog.entry(named: name) else {
                Terminal.standardError("mailferry: no profile called \"\(name)\" (`mailferry profiles list` shows them)")
                throw ExitStatus.usage.exitCode
            }
            print(Self.describe(entry))
        }

        static func describe(_ entry: ProfileCatalog.Entry) -> String {
            let profile = entry.profile
            var lines = ["\(profile.name): \(profile.displayName)"]
            if case .file(let path) = entry.origin { lines.append("  from: \(path)") } else { lines.append("  from: built in") }
            if !profile.domains.isEmpty { lines.append("  domains: \(profile.domains.joined(separator: ", "))") }
            for (label, server) in [("IMAP", profile.imap), ("POP3", profile.pop3)] {
                guard let server else { continue }
                var text = "  \(label): \(server.host.isEmpty ? "(host from the URL)" : server.host):\(server.port) \(server.security.rawValue)"
                if !server.auth.isEmpty { text += ", login: \(server.auth.map(\.rawValue).joined(separator: " > "))" }
                if let most = server.maxConnections { text += ", at most \(most) connections" }
                lines.append(text)
            }
            let folders = profile.folders
            if !folders.special.isEmpty {
                lines.append(
                    "  special folders: " + folders.special.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) = \($0.value)" }.joined(separator: ", "))
            }
            if !folders.skip.isEmpty { lines.append("  skipped as a source: \(folders.skip.joined(separator: ", "))") }
            if !folders.reserved.isEmpty { lines.append("  names the server refuses: \(folders.reserved.joined(separator: ", "))") }
            if folders.labels { lines.append("  labels: yes (X-GM-LABELS)") }
            let limits = profile.limits
            if let size = limits.maxMessageSize { lines.append("  largest message: \(size) bytes (\(CopyReport.formatBytes(size)))") }
            if let down = limits.dailyDownloadBytes { lines.append("  daily download budget: \(CopyReport.formatBytes(down))") }
            if let up = limits.dailyUploadBytes { lines.append("  daily upload budget: \(CopyReport.formatBytes(up))") }
            if let most = limits.messageLimit { lines.append("  messages per command: \(most)") }
            if !profile.throttle.backoffPatterns.isEmpty {
                lines.append("  back-off texts: \(profile.throttle.backoffPatterns.joined(separator: " | "))")
            }
            if !profile.repair.beforeSending.isEmpty {
                lines.append("  repaired before sending: \(profile.repair.beforeSending.joined(separator: ", "))")
            }
            if let notes = profile.notes { lines.append("  notes: \(notes)") }
            return lines.joined(separator: "\n")
        }
    }
}
