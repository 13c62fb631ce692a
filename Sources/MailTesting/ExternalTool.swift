import Foundation

/// Runs a system program (GNU tar, to build archives MailFerry did not write) and returns its
/// exit status. The wait blocks the calling thread: for short commands only.
public func runTool(_ path: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
