#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MailCore

/// Where a password or token comes from. Never the command line: argv is visible to every user
/// of the machine (`ps`) and lands in shell histories.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    /// An environment variable (`MAILFERRY_SOURCE_PASSWORD`).
    case environment(String)
    /// A file whose first line is the secret.
    case file(String)
    /// A command whose standard output (first line) is the secret, e.g. `pass show mail/old`.
    case command(String)
    /// Ask on the terminal, without echo.
    case prompt(String)

    public var description: String {
        switch self {
        case .environment(let name): return "environment variable \(name)"
        case .file(let path): return "file \(path)"
        case .command: return "password command"
        case .prompt(let label): return "prompt (\(label))"
        }
    }

    /// Reads the secret; throws a store-scoped error that says which source failed and why.
    public func resolve() throws -> String {
        switch self {
        case .environment(let name):
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Self.error("the environment variable \(name) is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Self.error("cannot read the secret file \(path)")
            }
            return Self.firstLine(data)
        case .command(let command):
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                throw Self.error("cannot run the secret command: \(error.localizedDescription)")
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Self.error("the secret command failed with exit status \(process.terminationStatus)")
            }
            let secret = Self.firstLine(data)
            guard !secret.isEmpty else { throw Self.error("the secret command printed nothing") }
            return secret
        case .prompt(let label):
            guard isatty(0) == 1 else {
                throw Self.error("no \(label) given and no terminal to ask on (use an environment variable, a file or a command)")
            }
            guard let answer = getpass("\(label): ") else { throw Self.error("no \(label) entered") }
            return String(cString: answer)
        }
    }

    private static func firstLine(_ data: Data) -> String {
        String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            .first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) } ?? ""
    }

    private static func error(_ text: String) -> MailError {
        MailError(.invalidEndpoint, scope: .store, retry: .never, text)
    }
}
