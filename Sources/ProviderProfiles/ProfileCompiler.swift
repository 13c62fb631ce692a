import Foundation

/// The logic of `mailferry-profile-gen`: decode profile files and write the Swift source the
/// BuiltInProfiles target compiles. It lives here, not in the executable, so it is tested.
public enum ProfileCompiler {
    public static let usage = "usage: mailferry-profile-gen OUTPUT.swift [INPUT.toml | DIRECTORY]..."

    /// Decodes every file (in the order given; a directory stands for its `*.toml` files in name
    /// order) and returns the Swift source; two files with the same `name` are an error at the
    /// second one.
    public static func swiftSource(forFiles paths: [String], decoder: ProfileDecoder = ProfileDecoder()) throws(ProfileError) -> String {
        var profiles: [ProviderProfile] = []
        var firstFile: [String: String] = [:]
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                files += try ProfileCatalog.profileFiles(in: URL(fileURLWithPath: path, isDirectory: true))
            } else {
                files.append(path)
            }
        }
        for path in files {
            let profile = try decoder.decodeFile(atPath: path)
            if let other = firstFile[profile.name] {
                throw ProfileError(
                    file: path, line: 1, column: 1,
                    message: "profile name \"\(profile.name)\" is already used by \(other); names must be unique")
            }
            firstFile[profile.name] = path
            profiles.append(profile)
        }
        return ProfileSwiftSource.render(profiles, sources: files.map { ($0 as NSString).lastPathComponent })
    }

    /// Runs the command with `arguments` (without the program name). Diagnostics go to
    /// `report` in compiler form (`FILE:LINE:COLUMN: error: MESSAGE`). Returns the exit status:
    /// 0 on success, 1 on a profile or output error, 2 on a usage error. No inputs give an empty array. The output file is only
    /// rewritten when its content changes, so unchanged profiles cause no recompilation.
    public static func run(arguments: [String], report: (String) -> Void) -> Int32 {
        guard !arguments.isEmpty, arguments[0].hasSuffix(".swift") else {
            report(usage)
            return 2
        }
        let output = arguments[0]
        let source: String
        do {
            source = try swiftSource(forFiles: Array(arguments.dropFirst()))
        } catch {
            report(error.diagnostic)
            return 1
        }
        let data = Data(source.utf8)
        if let existing = FileManager.default.contents(atPath: output), existing == data { return 0 }
        do {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            report("\(output):1:1: error: cannot write the generated source: \(error.localizedDescription)")
            return 1
        }
        return 0
    }
}
