import Foundation
import TOMLParser

/// Turns a profile TOML document into a `ProviderProfile`, strictly: unknown keys, missing
/// required keys, wrong types and out-of-range values are `ProfileError`s naming the file, line
/// and column, so a typo in a user profile is caught, not silently ignored.
///
/// The schema is documented in `profiles/README.md`.
public struct ProfileDecoder: Sendable {
    public var limits: TOMLLimits

    public init(limits: TOMLLimits = .default) {
        self.limits = limits
    }

    /// Decodes profile text; `file` names it in errors.
    public func decode(_ text: String, file: String) throws(ProfileError) -> ProviderProfile {
        try decode(bytes: Array(text.utf8), file: file)
    }

    /// Decodes profile bytes (UTF-8); `file` names it in errors.
    public func decode(bytes: [UInt8], file: String) throws(ProfileError) -> ProviderProfile {
        let table = try TOMLParser(limits: limits).parse(bytes: bytes, file: file)
        return try decode(table, file: file)
    }

    /// Reads and decodes the file at `path` (named as given in errors).
    public func decodeFile(atPath path: String) throws(ProfileError) -> ProviderProfile {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ProfileError(file: path, line: 1, column: 1, message: "cannot open the file; check that it exists and is readable")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            // One byte more than the limit, so an oversized file is reported as such.
            data = try handle.read(upToCount: limits.maxInputBytes + 1) ?? Data()
        } catch {
            throw ProfileError(file: path, line: 1, column: 1, message: "cannot read the file: \(error.localizedDescription)")
        }
        return try decode(bytes: [UInt8](data), file: path)
    }

    /// Decodes an already parsed document.
    public func decode(_ document: TOMLTable, file: String) throws(ProfileError) -> ProviderProfile {
        let top = try FieldReader(
            document, file: file, section: "", position: SourcePosition(line: 1, column: 1),
            known: ["name", "display_name", "domains", "notes", "imap", "pop3", "folders", "limits", "throttle", "repair"])

        let name = try top.string("name", example: "\"example\"")
        if !Self.isValidName(name), let value = top.value("name") {
            throw top.fail("`name` must be lower-case letters, digits and `-` (it is also the URL scheme), found \"\(name)\"", at: value.position)
        }
        let displayName = try top.string("display_name", example: "\"Example Mail\"")
        var domains: [String] = []
        for (domain, position) in try top.strings("domains") {
            guard Self.isValidDomain(domain) else {
                throw top.fail("`domains` entries must be lower-case domain names such as \"example.com\", found \"\(domain)\"", at: position)
            }
            domains.append(domain)
        }
        let notes = try top.string("notes")

        let imap = try endpoint("imap", in: top)
        let pop3 = try endpoint("pop3", in: top)
        if imap == nil, pop3 == nil {
            throw top.fail("a profile needs an [imap] or a [pop3] section (or both)", at: top.position)
        }
        let repairHints = try self.repair(in: top)
        if !repairHints.beforeSending.isEmpty, notes == nil, let (_, position) = try top.table("repair") {
            throw top.fail("a profile that declares repairs (`[repair] before_sending`) must say their source in `notes`", at: position)
        }
        return ProviderProfile(
            name: name, displayName: displayName, domains: domains, notes: notes, imap: imap, pop3: pop3,
            folders: try folders(in: top), limits: try limits(in: top), throttle: try throttle(in: top), repair: repairHints)
    }

    private func repair(in top: FieldReader) throws(ProfileError) -> RepairHints {
        guard let (table, position) = try top.table("repair") else { return RepairHints() }
        let fields = try FieldReader(table, file: top.file, section: "[repair]", position: position, known: ["before_sending"])
        var names: [String] = []
        for (name, at) in try fields.strings("before_sending") {
            guard RepairHints.known.contains(name) else {
                throw fields.fail("`before_sending` entries must be one of \(Self.choices(RepairHints.known)), found \"\(name)\"", at: at)
            }
            guard !names.contains(name) else { throw fields.fail("`before_sending` names \"\(name)\" twice", at: at) }
            names.append(name)
        }
        return RepairHints(beforeSending: names)
    }

    private func endpoint(_ key: String, in top: FieldReader) throws(ProfileError) -> ServerEndpoint? {
        guard let (table, position) = try top.table(key) else { return nil }
        let fields = try FieldReader(
            table, file: top.file, section: "[\(key)]", position: position,
            known: ["host", "port", "security", "auth", "max_connections"])
        let host = try fields.string("host", example: "\"\(key).example.com\" (or \"\" to take it from the URL)")
        if host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }), let value = fields.value("host") {
            throw fields.fail("`host` in [\(key)] must be a bare host name such as \"\(key).example.com\", found \"\(host)\"", at: value.position)
        }
        let port = try fields.integer("port", in: 1...65535, example: key == "imap" ? "993" : "995")
        let securityText = try fields.string("security", example: "\"tls\"")
        guard let security = ConnectionSecurity(rawValue: securityText) else {
            throw fields.fail(
                "`security` in [\(key)] must be one of \(Self.choices(ConnectionSecurity.allCases.map(\.rawValue))), found \"\(securityText)\"",
                at: fields.value("security")?.position ?? position)
        }
        var auth: [AuthMechanism] = []
        for (text, at) in try fields.strings("auth") {
            guard let mechanism = AuthMechanism(rawValue: text) else {
                throw fields.fail(
                    "`auth` in [\(key)]: unknown mechanism \"\(text)\"; use \(Self.choices(AuthMechanism.allCases.map(\.rawValue)))",
                    at: at)
            }
            guard !auth.contains(mechanism) else { throw fields.fail("`auth` in [\(key)] lists \"\(text)\" twice", at: at) }
            auth.append(mechanism)
        }
        let maxConnections = try fields.integer("max_connections", in: 1...1000)
        return ServerEndpoint(host: host, port: port, security: security, auth: auth, maxConnections: maxConnections)
    }

    private func folders(in top: FieldReader) throws(ProfileError) -> FolderHints {
        guard let (table, position) = try top.table("folders") else { return FolderHints() }
        let fields = try FieldReader(
            table, file: top.file, section: "[folders]", position: position,
            known: ["special", "skip", "reserved", "separator", "labels"])
        var special: [SpecialFolderRole: String] = [:]
        if let (roles, rolesPosition) = try fields.table("special") {
            let roleFields = try FieldReader(
                roles, file: top.file, section: "[folders.special]", position: rolesPosition,
                known: SpecialFolderRole.allCases.map(\.rawValue))
            for role in SpecialFolderRole.allCases {
                guard let folder = try roleFields.string(role.rawValue) else { continue }
                guard !folder.isEmpty else {
                    throw roleFields.fail("`\(role.rawValue)` in [folders.special] is empty; give the folder name or remove the key", at: roleFields.value(role.rawValue)?.position ?? rolesPosition)
                }
                special[role] = folder
            }
        }
        let separator = try fields.string("separator")
        if let separator, separator.count != 1, let value = fields.value("separator") {
            throw fields.fail("`separator` in [folders] must be one character such as \"/\" or \".\", found \"\(separator)\"", at: value.position)
        }
        return FolderHints(
            special: special, skip: try fields.strings("skip").map(\.text), reserved: try fields.strings("reserved").map(\.text),
            separator: separator, labels: try fields.boolean("labels") ?? false)
    }

    private func limits(in top: FieldReader) throws(ProfileError) -> ProviderLimits {
        guard let (table, position) = try top.table("limits") else { return ProviderLimits() }
        let fields = try FieldReader(
            table, file: top.file, section: "[limits]", position: position,
            known: ["max_message_size", "daily_download_bytes", "daily_upload_bytes", "message_limit"])
        let bytes = 1...Int.max
        return ProviderLimits(
            maxMessageSize: try fields.integer("max_message_size", in: bytes),
            dailyDownloadBytes: try fields.integer("daily_download_bytes", in: bytes),
            dailyUploadBytes: try fields.integer("daily_upload_bytes", in: bytes),
            messageLimit: try fields.integer("message_limit", in: 1...Int.max))
    }

    private func throttle(in top: FieldReader) throws(ProfileError) -> ThrottleHints {
        guard let (table, position) = try top.table("throttle") else { return ThrottleHints() }
        let fields = try FieldReader(table, file: top.file, section: "[throttle]", position: position, known: ["backoff_patterns"])
        var patterns: [String] = []
        for (pattern, at) in try fields.strings("backoff_patterns") {
            do {
                _ = try Regex(pattern)
            } catch {
                throw fields.fail("`backoff_patterns` entry is not a valid regular expression: \(error)", at: at)
            }
            patterns.append(pattern)
        }
        return ThrottleHints(backoffPatterns: patterns)
    }

    /// `[a-z0-9-]+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    static func isValidDomain(_ domain: String) -> Bool {
        !domain.isEmpty && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && domain.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E }
    }

    private static func choices(_ values: [String]) -> String {
        values.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
