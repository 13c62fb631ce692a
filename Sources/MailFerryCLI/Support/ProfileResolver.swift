import ArgumentParser
import BuiltInProfiles
import Engine
import Foundation
import IMAPClient
import MailCore
import POP3Client
import ProviderProfiles
import Stores
import Synchronization

/// Provider profiles on the command line: `gmail://me@gmail.com[/folder]` endpoints, profiles
/// found by server name (`imaps://…@imap.gmail.com`), and `--source-profile`/`--dest-profile`;
/// then what a profile fills in (connections, budgets, size limit, folders to skip or rename).
enum ProfileResolver {
    /// Schemes MailFerry reads itself; any other `NAME://` names a profile.
    static let builtInSchemes: Set<String> = ["imap", "imaps", "pop3", "pop3s"]
    private static let warnedAboutProblems = Mutex(false)

    /// The built-in profiles with the user's (`~/.config/mailferry/profiles/*.toml`) over them.
    /// `strict` (the `profiles` commands, which are about the files): a broken user file is a
    /// configuration error (exit 2) naming its file and line. Otherwise it is left out with a
    /// warning, so that it fails only a command that names the profile it should have defined
    /// (see ``unknownProfile(_:catalog:)``); an mbox → Maildir copy does not need it at all.
    static func catalog(strict: Bool = false) throws -> ProfileCatalog {
        do {
            let catalog = try ProfileCatalog(builtIn: BuiltInProfiles.all, lenient: !strict)
            // The catalog is built once per endpoint and once per command: warn once.
            let first = warnedAboutProblems.withLock { warned in
                defer { warned = true }
                return !warned
            }
            for problem in catalog.problems where first {
                Terminal.standardError("mailferry: warning: user profile ignored: \(problem.diagnostic)")
            }
            return catalog
        } catch {
            Terminal.standardError("mailferry: \(error.diagnostic)")
            throw ExitStatus.usage.exitCode
        }
    }

    /// Ends the command (exit 2) for a profile name the catalog does not have, naming the broken
    /// user files that may have been meant to define it.
    static func unknownProfile(_ message: String, catalog: ProfileCatalog) -> ExitCode {
        Terminal.standardError("mailferry: \(message)")
        for problem in catalog.problems {
            Terminal.standardError("mailferry: a user profile could not be read: \(problem.diagnostic)")
        }
        return ExitStatus.usage.exitCode
    }

    /// `text` with a profile scheme made a plain IMAP URL (a POP3 one for `NAME+pop3://`), and the
    /// profile; other text unchanged.
    /// With a fixed server, everything before the first `/` is the user name
    /// (`gmail://me@gmail.com/Work`); a generic profile takes `user@host[:port]` from the URL.
    static func expand(_ text: String, catalog: ProfileCatalog) throws -> (url: String, profile: ProviderProfile?) {
        guard let schemeEnd = text.range(of: "://") else { return (text, nil) }
        var scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard !builtInSchemes.contains(scheme) else { return (text, nil) }
        // NAME+pop3:// asks for the provider's POP3 server instead of its IMAP one.
        let pop3 = scheme.hasSuffix("+pop3")
        if pop3 { scheme.removeLast(5) }
        guard let profile = catalog.profile(named: scheme) else {
            let names = catalog.profiles.map(\.name).joined(separator: ", ")
            throw unknownProfile(
                "\"\(scheme)://\" is neither imap(s)://, pop3(s):// nor a profile (profiles: \(names))", catalog: catalog)
        }
        guard let server = pop3 ? profile.pop3 : profile.imap else {
            Terminal.standardError("mailferry: the \(profile.name) profile has no \(pop3 ? "POP3" : "IMAP") server")
            throw ExitStatus.usage.exitCode
        }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let prefix = (pop3 ? "pop3" : "imap") + (server.security == .tls ? "s" : "")
        let user: Substring
        let host: String
        if server.takesHostFromURL {
            guard let at = authority.lastIndex(of: "@") else {
                Terminal.standardError("mailferry: \(profile.name):// needs user@host (the profile has no fixed server)")
                throw ExitStatus.usage.exitCode
            }
            user = authority[..<at]
            host = String(authority[authority.index(after: at)...])
        } else {
            user = authority
            host = "\(server.host):\(server.port)"
        }
        guard !user.isEmpty else {
            Terminal.standardError("mailferry: \(profile.name):// needs the account's user name, e.g. \(profile.name)://me@\(profile.domains.first ?? "example.com")")
            throw ExitStatus.usage.exitCode
        }
        // The user name may hold an @ (the address): percent-encode it for the IMAP URL.
        let encodedUser = user.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "@", with: "%40")
        return ("\(prefix)://\(encodedUser)@\(host)\(path)", profile)
    }

    /// The profile for an endpoint: named for its side, from its scheme, named for every IMAP
    /// side (`--profile`), or found by the server's name — in that order.
    static func profile(
        for endpoint: StoreEndpoint, named name: String?, fromScheme: ProviderProfile?, catalog: ProfileCatalog,
        fallback: String? = nil
    ) throws -> ProviderProfile? {
        if name == nil, fromScheme == nil, let fallback, case .imap = endpoint {
            return try profile(for: endpoint, named: fallback, fromScheme: nil, catalog: catalog)
        }
        if let name {
            guard let profile = catalog.profile(named: name) else {
                throw unknownProfile("no profile called \"\(name)\" (`mailferry profiles list` shows them)", catalog: catalog)
            }
            return profile
        }
        if let fromScheme { return fromScheme }
        guard case .imap(let imap) = endpoint else { return nil }
        return catalog.profiles.first { matches($0, host: imap.host, port: imap.port) }
    }

    /// Whether a server is the profile's own: its host name *and* its port. A host alone is not
    /// enough: Proton Mail Bridge's 127.0.0.1 is also every local Dovecot and SSH tunnel, and a
    /// profile found by mistake would skip folders and impose its login order.
    static func matches(_ profile: ProviderProfile, host: String, port: Int) -> Bool {
        guard let server = profile.imap, !server.host.isEmpty else { return false }
        return server.host.lowercased() == host.lowercased() && server.port == port
    }

    /// What a profile fills in for one side, written into `options` unless the user said
    /// otherwise; returns a note per setting for the report.
    static func apply(
        _ profile: ProviderProfile, asSource: Bool, to connection: inout ConnectionOptions, userConnections: Bool, pop3: Bool = false
    ) -> [String] {
        var notes: [String] = []
        let side = asSource ? "source" : "destination"
        if let most = profile.imap?.maxConnections, connection.connections > most {
            if userConnections {
                notes.append("profile \(profile.name): \(connection.connections) connections asked for; the provider allows about \(most)")
            } else {
                connection.connections = most
            }
        }
        if connection.dailyBudget == nil, let budget = asSource ? profile.limits.dailyDownloadBytes : profile.limits.dailyUploadBytes {
            connection.dailyBudget = budget
            notes.append("profile \(profile.name): the \(side) pauses after \(CopyReport.formatBytes(budget)) a day (the provider's limit)")
        }
        let server = pop3 ? profile.pop3 : profile.imap
        if connection.mechanism == .automatic, connection.pop3Mechanism == .automatic, let order = server?.auth, !order.isEmpty {
            // CRAM-MD5 is not spoken here; the rest map one to one.
            connection.preferredMechanisms = order.compactMap { IMAPConfiguration.Mechanism(rawValue: $0.rawValue) }
            connection.pop3PreferredMechanisms = order.compactMap { POP3Configuration.Mechanism(rawValue: $0.rawValue) }
            notes.append(
                "profile \(profile.name): the \(side) logs in with "
                    + order.map { $0.rawValue.uppercased() }.joined(separator: ", ") + ", the first the server offers (--\(asSource ? "source" : "dest")-auth chooses another)")
        }
        if connection.messageLimit == nil, let most = profile.limits.messageLimit {
            connection.messageLimit = most
            notes.append("profile \(profile.name): at most \(most) messages per command on the \(side) (the provider's limit)")
        }
        return notes
    }

    /// The profile's special folders as roles by folder name, for the planner.
    static func roles(_ profile: ProviderProfile?) -> [String: SpecialUse] {
        guard let profile else { return [:] }
        var roles: [String: SpecialUse] = [:]
        for (role, name) in profile.folders.special {
            // The roles are RFC 6154's attributes by name: sent → \Sent.
            if let use = SpecialUse(rawValue: "\\" + role.rawValue.prefix(1).uppercased() + role.rawValue.dropFirst()) { roles[name] = use }
        }
        return roles
    }
}
