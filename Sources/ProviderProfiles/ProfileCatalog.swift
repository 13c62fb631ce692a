import Foundation

/// The profiles a run can use: the built-ins plus the user's own `*.toml` files. A user file whose
/// `name` matches a built-in replaces it; other names are added. Lookup ignores case.
public struct ProfileCatalog: Sendable {
    /// Where a profile in the catalog came from.
    public enum Origin: Sendable, Equatable {
        case builtIn
        /// A user file, by path.
        case file(String)
    }

    /// A profile and its origin.
    public struct Entry: Sendable, Equatable {
        public var profile: ProviderProfile
        public var origin: Origin
    }

    /// Every profile, sorted by name.
    public let entries: [Entry]
    /// User files that were left out because they are broken (only with `lenient`), each with
    /// its file, line and reason.
    public let problems: [ProfileError]

    public var profiles: [ProviderProfile] { entries.map(\.profile) }

    /// Builds the catalog. A missing `userDirectory` is not an error (no user profiles); a
    /// profile error in a user file is, naming the file and line. Files are read in name order;
    /// two user files with the same profile name are an error. With `lenient`, a broken user
    /// file (or directory) is left out and listed in ``problems`` instead: one broken file must
    /// not stop commands that use no profile at all.
    public init(
        builtIn: [ProviderProfile], userDirectory: URL? = ProfileCatalog.defaultUserDirectory(),
        decoder: ProfileDecoder = ProfileDecoder(), lenient: Bool = false
    ) throws(ProfileError) {
        var byName: [String: Entry] = [:]
        var problems: [ProfileError] = []
        for profile in builtIn { byName[profile.name.lowercased()] = Entry(profile: profile, origin: .builtIn) }
        if let userDirectory {
            var fromUser: [String: String] = [:]
            var files: [String] = []
            do {
                files = try Self.profileFiles(in: userDirectory)
            } catch {
                guard lenient else { throw error }
                problems.append(error)
            }
            for path in files {
                do throws(ProfileError) {
                    let profile = try decoder.decodeFile(atPath: path)
                    let key = profile.name.lowercased()
                    if let other = fromUser[key] {
                        throw ProfileError(
                            file: path, line: 1, column: 1,
                            message: "profile name \"\(profile.name)\" is also defined in \(other); remove or rename one")
                    }
                    fromUser[key] = path
                    byName[key] = Entry(profile: profile, origin: .file(path))
                } catch {
                    guard lenient else { throw error }
                    problems.append(error)
                }
            }
        }
        entries = byName.values.sorted { $0.profile.name < $1.profile.name }
        self.problems = problems
    }

    /// The profile called `name`, ignoring case.
    public func profile(named name: String) -> ProviderProfile? { entry(named: name)?.profile }

    public func entry(named name: String) -> Entry? {
        let key = name.lowercased()
        return entries.first { $0.profile.name.lowercased() == key }
    }

    /// The first profile (by name) listing the domain of `address` (`me@gmail.com` or `gmail.com`).
    public func profile(forAddress address: String) -> ProviderProfile? {
        let domain = (address.split(separator: "@").last.map(String.init) ?? address).lowercased()
        return entries.first { $0.profile.domains.contains(domain) }?.profile
    }

    /// `$XDG_CONFIG_HOME/mailferry/profiles`, or `$HOME/.config/mailferry/profiles` when
    /// `XDG_CONFIG_HOME` is unset or not absolute (as the XDG spec asks). `home` overrides
    /// `$HOME`; without either, the account's home directory from the password database.
    public static func defaultUserDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String? = nil
    ) -> URL {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return URL(fileURLWithPath: config, isDirectory: true).appendingPathComponent("mailferry/profiles", isDirectory: true)
        }
        let environmentHome = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let base = home ?? environmentHome ?? NSHomeDirectory()
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent(".config/mailferry/profiles", isDirectory: true)
    }

    /// The `*.toml` files directly in `directory`, sorted; none if it does not exist.
    static func profileFiles(in directory: URL) throws(ProfileError) -> [String] {
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else {
            throw ProfileError(file: path, line: 1, column: 1, message: "the profile directory is a file; it should be a directory of *.toml files")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ProfileError(file: path, line: 1, column: 1, message: "cannot list the profile directory: \(error.localizedDescription)")
        }
        return names.filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }
}
