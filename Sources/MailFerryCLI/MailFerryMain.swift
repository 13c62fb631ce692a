import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `mailferry` program: parses the command line and exits with MailFerry's documented codes
/// (argument errors are 2, not ArgumentParser's 64).
public enum MailFerryMain {
    public static func run() async -> Never {
        do {
            var command = try MailFerryCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(ExitStatus.success.rawValue)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = MailFerryCommand.exitCode(for: error)
            let message = MailFerryCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                exit(ExitStatus.success.rawValue)
            }
            if !message.isEmpty { Terminal.standardError(message) }
            exit(ExitStatus.usage.rawValue)
        }
    }
}
