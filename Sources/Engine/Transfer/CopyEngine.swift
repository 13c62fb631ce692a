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
    public func run() async -> CopyReport {
        let started = Date()
        var report = CopyReport(
            version: MailFerryVersion.current, source: source.displayName, destination: sink.displayName,
            dryRun: options.dryRun, startedAt: started)
        do {
            let folders = try await source.listFolders()
            let plan = options.planner.plan(
                sourceFolders: folders, sourceCapabilities: source.capabilities, sinkCapabilities: sink.capabilities)
            report.notes += plan.notes
            report.warnings += await source.listingProblems().map { CopyReport.Problem($0) }
            observer?(.planned(plan))
            var progress = RunProgress(
                started: started,
                bytesTotal: plan.entries.allSatisfy { $0.source.byteCount != nil }
                    ? plan.entries.reduce(0) { $0 + ($1.source.byteCount ?? 0) } : nil)
            for (index, entry) in plan.entries.enumerated() {
                observer?(
                    .folderStarted(
                        index: index, count: plan.entries.count, source: entry.source.path.displayName,
                        destination: entry.destination.displayName))
                let folderReport: CopyReport.FolderReport
                if options.dryRun {
                    folderReport = await planFolder(entry, report: &report)
                } else {
                    folderReport = await copyFolder(
                        entry, index: index, count: plan.entries.count, progress: &progress, report: &report)
                }
                report.folders.append(folderReport)
                observer?(.folderFinished(folderReport))
                progress.bytesReadBefore += entry.source.byteCount ?? 0
                if report.stoppedBy != nil { break }
            }
        } catch let error as MailError {
            report.stoppedBy = CopyReport.Problem(error)
        } catch {
            report.stoppedBy = CopyReport.Problem(
                MailError(.internalError, scope: .store, retry: .never, "\(error)"))
        }
        report.finish(at: Date())
        return report
    }

    private struct RunProgress {
        var started: Date
        var bytesTotal: Int?
        var bytesReadBefore = 0
        var messages = 0
        var bytesStored = 0
    }

    private func planFolder(_ entry: CopyPlan.Entry, report: inout CopyReport) async -> CopyReport.FolderReport {
        var folderReport = CopyReport.FolderReport(
            source: entry.source.path.displayName, destination: entry.destination.displayName,
            sourceLocation: entry.source.location)
        do {
            let status = try await source.status(of: entry.source)
            folderReport.plannedMessages = status.messages
            folderReport.plannedBytes = status.bytes
            if status.unreadable > 0 {
                folderReport.error = "\(status.unreadable) message(s) unreadable"
            }
        } catch let error as MailError {
            folderReport.error = error.summary
            report.failures.append(CopyReport.Problem(error, folder: entry.source.path))
        } catch {
            folderReport.error = "\(error)"
        }
        return folderReport
    }

    /// Files a folder- or store-level error in the report; returns the text for the folder's line.
    private static func record(_ error: any Error, folder: FolderPath, in report: inout CopyReport) -> String {
        let mailError = (error as? MailError)
            ?? MailError(.internalError, scope: .store, retry: .never, "\(error)")
        let problem = CopyReport.Problem(mailError, folder: folder)
        if mailError.scope == .store {
            report.stoppedBy = problem
        } else {
            report.failures.append(problem)
        }
        return mailError.summary
    }

    /// An item on its way from the reader to the writer, with the reader's position for the ETA.
    private struct Transit: Sendable {
        var item: SourceItem
        var bytesConsumed: Int
    }

    /// Copies one folder. Message and folder failures go into the report; a store failure sets
    /// `report.stoppedBy` (the caller stops), with this folder's partial counts kept.
    private func copyFolder(
        _ entry: CopyPlan.Entry, index: Int, count: Int, progress: inout RunProgress, report: inout CopyReport
    ) async -> CopyReport.FolderReport {
        var folderReport = CopyReport.FolderReport(
            source: entry.source.path.displayName, destination: entry.destination.displayName,
            sourceLocation: entry.source.location)
        let writer: any FolderWriter
        do {
            writer = try await sink.openFolder(entry.destination)
        } catch {
            folderReport.error = Self.record(error, folder: entry.destination, in: &report)
            return folderReport
        }
        folderReport.destinationLocation = writer.location
        var losses: [String: Int] = [:]
        let channel = BoundedChannel<Transit>(budget: options.bufferBudget)
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
                        maximumCount: options.batchMessages, maximumCost: options.batchBytes)
                    {
                        var envelopes: [MessageEnvelope] = []
                        var consumed = 0
                        for transit in batch {
                            consumed = transit.bytesConsumed
                            switch transit.item {
                            case .message(let envelope): envelopes.append(envelope)
                            case .failure(let error):
                                folderReport.failed += 1
                                report.failures.append(CopyReport.Problem(error, folder: entry.source.path))
                            case .warning(let error):
                                report.warnings.append(CopyReport.Problem(error, folder: entry.source.path))
                            }
                        }
                        if !envelopes.isEmpty {
                            let outcomes = try await writer.store(envelopes)
                            for (envelope, outcome) in zip(envelopes, outcomes) {
                                switch outcome {
                                case .stored(let stored):
                                    folderReport.copied += 1
                                    folderReport.bytes += envelope.size
                                    let lost = sink.capabilities.unsupported(in: envelope.flags)
                                    for flag in lost.sorted + stored.droppedFlags.sorted {
                                        losses[flag.description, default: 0] += 1
                                    }
                                case .failed(let error):
                                    folderReport.failed += 1
                                    var failure = error
                                    failure.messageNumber = failure.messageNumber ?? envelope.number
                                    failure.messageKey = failure.messageKey ?? envelope.key.value
                                    report.failures.append(CopyReport.Problem(failure, folder: entry.source.path))
                                }
                            }
                            progress.messages += envelopes.count
                            progress.bytesStored += envelopes.reduce(0) { $0 + $1.size }
                        }
                        observer?(
                            .progress(
                                ProgressSnapshot(
                                    folder: entry.source.path.displayName, folderIndex: index, folderCount: count,
                                    messagesDone: folderReport.copied + folderReport.failed,
                                    messagesTotal: entry.source.messageCount,
                                    bytesRead: progress.bytesReadBefore + consumed, bytesTotal: progress.bytesTotal,
                                    runMessages: progress.messages, runBytesStored: progress.bytesStored,
                                    elapsed: Date().timeIntervalSince(progress.started))))
                    }
                } catch {
                    channel.cancel()
                    throw error
                }
                return try await group.next() ?? nil
            }
            if let note { report.notes.append("\(entry.source.path.displayName): \(note)") }
            try await writer.close()
        } catch {
            try? await writer.close()
            folderReport.error = Self.record(error, folder: entry.source.path, in: &report)
        }
        for (flag, messages) in losses.sorted(by: { $0.key < $1.key }) {
            report.losses.append(CopyReport.Loss(folder: entry.destination.displayName, flag: flag, messages: messages))
        }
        return folderReport
    }
}
