import Foundation
import MailCore

/// Copies a source's folders into a sink: plans, streams every folder through a bounded buffer,
/// stores in batches, and reports.
///
/// It knows the stores only through `MessageSource` and `MessageSink`. Failures are graded as the
/// stores grade them: a bad message is listed and skipped, a bad folder is listed and skipped, a
/// failing store stops the run (the report says where).
public struct CopyEngine: Sendable {
    public let source: any MessageSource
    public let sink: any MessageSink
    public let options: CopyOptions
    public let observer: (@Sendable (CopyEvent) -> Void)?

    public init(
        source: any MessageSource, sink: any MessageSink, options: CopyOptions,
        observer: (@Sendable (CopyEvent) -> Void)? = nil
    ) {
        self.source = source
        self.sink = sink
        self.options = options
        self.observer = observer
    }

    /// Runs the copy (or the plan, for a dry run) and returns the report. Never throws: a store
    /// failure ends the run with `outcome == .stopped`.
    ///
    /// Folders are copied one at a time, or several at once when both stores allow it
    /// (``StoreCapabilities/maximumConcurrency``); the report lists them in plan order either way.
    public func run() async -> CopyReport {
        let started = Date()
        var report = CopyReport(
            version: MailFerryVersion.current, source: source.displayName, destination: sink.displayName,
            dryRun: options.dryRun, startedAt: started)
        do {
            let folders = try await source.listFolders()
            let existing = (try? await sink.listFolders()) ?? []
            let plan = options.planner.plan(
                sourceFolders: folders, sourceCapabilities: source.capabilities, sinkFolders: existing,
                sinkCapabilities: sink.capabilities)
            report.notes += plan.notes
            report.warnings += await source.listingProblems().map { CopyReport.Problem($0) }
            observer?(.planned(plan))
            let progress = RunProgress(
                started: started,
                bytesTotal: plan.entries.allSatisfy { $0.source.byteCount != nil }
                    ? plan.entries.reduce(0) { $0 + ($1.source.byteCount ?? 0) } : nil)
            let concurrency = max(
                1,
                min(source.capabilities.maximumConcurrency, sink.capabilities.maximumConcurrency, options.maximumConcurrency))
            // The memory budget is for the whole run: folders copied at once share it.
            let share = max(1, min(concurrency, plan.entries.count))
            let budget = (buffer: max(1 << 20, options.bufferBudget / share), batch: max(512 << 10, options.batchBytes / share))
            var outcomes = [FolderOutcome?](repeating: nil, count: plan.entries.count)
            await withTaskGroup(of: (Int, FolderOutcome).self) { group in
                var next = 0
                var stopped = false
                func launch(_ index: Int) {
                    let entry = plan.entries[index]
                    observer?(
                        .folderStarted(
                            index: index, count: plan.entries.count, source: entry.source.path.displayName,
                            destination: entry.destination.displayName))
                    group.addTask {
                        let outcome = options.dryRun
                            ? await planFolder(entry)
                            : await copyFolder(
                                entry, index: index, count: plan.entries.count, progress: progress, budget: budget)
                        return (index, outcome)
                    }
                }
                while next < min(concurrency, plan.entries.count) {
                    launch(next)
                    next += 1
                }
                for await (index, outcome) in group {
                    outcomes[index] = outcome
                    progress.finish(folderIndex: index, bytes: plan.entries[index].source.byteCount)
                    observer?(.folderFinished(outcome.report))
                    if outcome.stoppedBy != nil { stopped = true }
                    if !stopped && next < plan.entries.count {
                        launch(next)
                        next += 1
                    }
                }
            }
            for outcome in outcomes.compactMap({ $0 }) {
                report.folders.append(outcome.report)
                report.failures += outcome.failures
                report.warnings += outcome.warnings
                report.losses += outcome.losses
                report.notes += outcome.notes
                if report.stoppedBy == nil { report.stoppedBy = outcome.stoppedBy }
            }
        } catch let error as MailError {
            report.stoppedBy = CopyReport.Problem(error)
        } catch {
            report.stoppedBy = CopyReport.Problem(MailError(.internalError, scope: .store, retry: .never, "\(error)"))
        }
        report.finish(at: Date())
        return report
    }

    /// What copying (or planning) one folder produced, merged into the report afterwards.
    struct FolderOutcome: Sendable {
        var report: CopyReport.FolderReport
        var failures: [CopyReport.Problem] = []
        var warnings: [CopyReport.Problem] = []
        var losses: [CopyReport.Loss] = []
        var notes: [String] = []
        var stoppedBy: CopyReport.Problem?

        init(_ entry: CopyPlan.Entry) {
            report = CopyReport.FolderReport(
                source: entry.source.path.displayName, destination: entry.destination.displayName,
                sourceLocation: entry.source.location)
        }

        /// Files a folder- or store-level error: a store error stops the run.
        mutating func record(_ error: any Error, folder: FolderPath) {
            let mailError = (error as? MailError) ?? MailError(.internalError, scope: .store, retry: .never, "\(error)")
            let problem = CopyReport.Problem(mailError, folder: folder)
            if mailError.scope == .store {
                stoppedBy = problem
            } else {
                failures.append(problem)
            }
            report.error = mailError.summary
        }
    }

    private func planFolder(_ entry: CopyPlan.Entry) async -> FolderOutcome {
        var outcome = FolderOutcome(entry)
        do {
            let status = try await source.status(of: entry.source)
            outcome.report.plannedMessages = status.messages
            outcome.report.plannedBytes = status.bytes
            if status.unreadable > 0 {
                outcome.report.error = "\(status.unreadable) message(s) unreadable"
            }
        } catch {
            outcome.record(error, folder: entry.source.path)
        }
        return outcome
    }

    /// An item on its way from the reader to the writer, with the reader's position for the ETA.
    private struct Transit: Sendable {
        var item: SourceItem
        var bytesConsumed: Int
    }

    /// Copies one folder: a child task reads the source into a bounded channel, this task stores
    /// batches. Message and folder failures are listed; a store failure sets `stoppedBy`, with
    /// this folder's partial counts kept.
    private func copyFolder(
        _ entry: CopyPlan.Entry, index: Int, count: Int, progress: RunProgress, budget: (buffer: Int, batch: Int)
    ) async -> FolderOutcome {
        var outcome = FolderOutcome(entry)
        let writer: any FolderWriter
        do {
            writer = try await sink.openFolder(entry.destination, subscribe: entry.source.isSubscribed ?? true)
        } catch {
            outcome.record(error, folder: entry.destination)
            return outcome
        }
        outcome.report.destinationLocation = writer.location
        var losses: [String: Int] = [:]
        let channel = BoundedChannel<Transit>(budget: budget.buffer)
        let source = self.source
        let folder = entry.source
        do {
            let note: String? = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    do {
                        let stream = try await source.messages(in: folder)
                        let reader = stream.reader
                        defer { reader.close() }
                        for try await item in stream {
                            let cost: Int
                            if case .message(let envelope) = item { cost = envelope.data.residentCount } else { cost = 0 }
                            guard await channel.send(Transit(item: item, bytesConsumed: reader.bytesConsumed), cost: cost)
                            else { break }
                        }
                        channel.finish()
                        return reader.note
                    } catch {
                        channel.finish(throwing: error)
                        return nil
                    }
                }
                do {
                    while let batch = try await channel.receiveBatch(
                        maximumCount: options.batchMessages, maximumCost: budget.batch)
                    {
                        var envelopes: [MessageEnvelope] = []
                        var consumed = 0
                        for transit in batch {
                            consumed = transit.bytesConsumed
                            switch transit.item {
                            case .message(let envelope): envelopes.append(envelope)
                            case .failure(let error):
                                outcome.report.failed += 1
                                outcome.failures.append(CopyReport.Problem(error, folder: entry.source.path))
                            case .warning(let error):
                                outcome.warnings.append(CopyReport.Problem(error, folder: entry.source.path))
                            }
                        }
                        var storedBytes = 0
                        if !envelopes.isEmpty {
                            let results = try await writer.store(envelopes)
                            for (envelope, result) in zip(envelopes, results) {
                                switch result {
                                case .stored(let stored):
                                    outcome.report.copied += 1
                                    outcome.report.bytes += envelope.size
                                    storedBytes += envelope.size
                                    let lost = sink.capabilities.unsupported(in: envelope.flags)
                                    for flag in lost.sorted + stored.droppedFlags.sorted {
                                        losses[flag.description, default: 0] += 1
                                    }
                                case .failed(let error):
                                    outcome.report.failed += 1
                                    var failure = error
                                    failure.messageNumber = failure.messageNumber ?? envelope.number
                                    failure.messageKey = failure.messageKey ?? envelope.key.value
                                    outcome.failures.append(CopyReport.Problem(failure, folder: entry.source.path))
                                }
                            }
                        }
                        let snapshot = progress.update(
                            folderIndex: index, folderCount: count, folder: entry.source.path.displayName,
                            messagesDone: outcome.report.copied + outcome.report.failed,
                            messagesTotal: entry.source.messageCount, bytesRead: consumed,
                            storedMessages: envelopes.count, storedBytes: storedBytes)
                        observer?(.progress(snapshot))
                    }
                } catch {
                    channel.cancel()
                    throw error
                }
                return try await group.next() ?? nil
            }
            if let note { outcome.notes.append("\(entry.source.path.displayName): \(note)") }
            try await writer.close()
        } catch {
            try? await writer.close()
            outcome.record(error, folder: entry.source.path)
        }
        for (flag, messages) in losses.sorted(by: { $0.key < $1.key }) {
            outcome.losses.append(CopyReport.Loss(folder: entry.destination.displayName, flag: flag, messages: messages))
        }
        return outcome
    }
}
