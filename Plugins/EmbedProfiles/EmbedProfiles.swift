import Foundation
import PackagePlugin

/// Compiles the package's `profiles/*.toml` into `GeneratedProfiles.swift` for the target that
/// uses the plugin (BuiltInProfiles), by running `mailferry-profile-gen`. Every profile file is an
/// input, so editing one regenerates the source; a bad file fails the build with a
/// `file:line:column: error:` diagnostic pointing into it.
@main
struct EmbedProfiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "profiles", directoryHint: .isDirectory)
            .resolvingSymlinksInPath()
        let inputs = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" && !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedProfiles.swift")
        let generator = try context.tool(named: "mailferry-profile-gen")
        // The generator is given the directory and lists it itself, and the directory is an input
        // too: SwiftPM keeps the command line from its last plan, so a profile added since then
        // would otherwise be missed (the directory's timestamp changes when a file is added).
        return [
            .buildCommand(
                displayName: "Embedding provider profiles from profiles/",
                executable: generator.url,
                arguments: [output.path(percentEncoded: false), directory.path(percentEncoded: false)],
                inputFiles: [directory] + inputs,
                outputFiles: [output])
        ]
    }
}
