import Foundation
import ProviderProfiles

// mailferry-profile-gen OUTPUT.swift INPUT.toml... — see ProfileCompiler.
let status = ProfileCompiler.run(arguments: Array(CommandLine.arguments.dropFirst())) { line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
exit(status)
