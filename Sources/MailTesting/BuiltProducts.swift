import Foundation

/// Finds the `mailferry` executable the package built, for tests that run the real program.
public enum BuiltProducts {
    /// The path of `mailferry` next to the running test bundle (`.build/<config>/`), or the
    /// `MAILFERRY_BINARY` environment variable when set.
    public static func mailferry() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["MAILFERRY_BINARY"], !explicit.isEmpty {
            return explicit
        }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory.appendingPathComponent("mailferry"))
            directory = directory.deletingLastPathComponent()
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("mailferry"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("mailferry"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
    }

    /// Where runs started by the tests keep their checkpoints (`XDG_STATE_HOME`), so tests never
    /// touch the user's own state directory.
    public static let stateDirectory: String = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(base)/mf-state-\(getpid())"
    }()

    /// Runs `mailferry` with `arguments`; returns its exit status (the signal number when a signal
    /// ended it), standard output and error. `XDG_STATE_HOME` is ``stateDirectory`` unless given.
    ///
    /// The wait happens on a thread of its own, so tests running side by side on the two-thread
    /// cooperative pool are not starved while a child runs.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 120
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(arguments, environment: environment, timeout: timeout) })
            }
        }
    }

    private static func runBlocking(
        _ arguments: [String], environment: [String: String], timeout: TimeInterval
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let binary = mailferry() else {
            throw NSError(
                domain: "MailTesting", code: 1,
                userInfo: [NSLocalizedDescriptionKey: "mailferry binary not found next to the tests; run `swift build` first"])
        }
        let process = Process()
        // At a lower CPU priority (nice execs the binary: same process, same exit status and
        // signal), so that suites running beside it — scripted servers with timeouts — are not
        // starved by a burst of CLI runs on two cores.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/nice") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
            process.arguments = ["-n", "10", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["XDG_STATE_HOME"] = stateDirectory
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently with the process so a large report cannot block it.
        let outData = ReadAll(out.fileHandleForReading)
        let errData = ReadAll(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process.waitUntilExit()
        return (process.terminationStatus, outData.text(), errData.text())
    }

    /// Waits for `process` to exit on a thread of its own, not on the cooperative pool.
    public static func waitForExit(_ process: Process) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    /// Drains a pipe on a background thread.
    final class ReadAll: @unchecked Sendable {
        // @unchecked: `data` is written by the reader thread before `done` is signalled and read after.
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        func text() -> String {
            done.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
