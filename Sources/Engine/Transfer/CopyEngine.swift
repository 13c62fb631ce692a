import Foundation
import MailCore

/// Copies a source's folders into a sink: plans, streams every folder through a bounded buffer,
/// stores in batches, records progress in a checkpoint, and reports.
///
/// It knows the stores only through `MessageSource` and `MessageSink`, and the checkpoint only
/// through `CheckpointStore`. Failures are graded as the stores grade them: a bad message is
/// listed and skipped, a bad folder is listed and skipped, a failing store stops the run (the
/// report says where). With a checkpoint, a rerun copies only what earlier runs did not.
public struct CopyEngine: Sendable {
    public let source: any MessageSource
    public let sink: any MessageSink
    public let options: CopyOptions
    public let checkpoint: (any CheckpointStore)?
    public let observer: (@Sendable (CopyEvent) -> Void)?

    public init(
        source: any MessageSource, sink: any MessageSink, options: CopyOptions, checkpoint: (any CheckpointStore)? = nil,
        observer: (@Sendable (CopyEvent) -> Void)? = nil
    ) {
        self.source = source
        self.sink = sink
        self.options = options
        self.checkpoint = options.dryRun ? nil : checkpoint
        self.observer = observer
    }

    /// The run's transforms: the user's, in order, then the repair made before sending — all
    /// of it with `--repair=always`; by default only what the sink's wire cannot carry and what
    /// the destination's profile declares (the rest waits for a refusal, see `repairAfterRefusal`).
    var pipeline: TransformPipeline {
        TransformPipeline(
            transforms: options.transforms
                + (Self.preemptiveRepair(mode: options.repairMode, capabilities: sink.capabilities, declared: options.preemptiveRepairs)
                    .map { [$0 as any MessageTransform] } ?? []))
    }

    /// The repair a run makes before sending (``pipeline``; the `Verifier` asks the same).
    static func preemptiveRepair(
        mode: RepairMode, capabilities: StoreCapabilities, declared: Set<RepairKind>
    ) -> RepairTransform? {
        guard let policy = capabilities.requiredRepairs else { return nil }
        switch mode {
        case .always: return RepairTransform(policy: policy)
        case .never: return nil
        case .onRefusal:
            let kinds = declared.union(capabilities.wireRepairs)
            return kinds.isEmpty ? nil : RepairTransform(policy: policy.restricted(to: kinds))
        }
    }

    /// Runs the copy (or the plan, for a dry run) and returns the report. Never throws: a store
    /// failure ends the run with `outcome == .stopped`.
    ///
    /// Folders are copied one at a time, or several at once when both stores allow it
    /// (``StoreCapabilities/maximumConcurrency``); the report lists them in plan order either way.
    public func run() async -> CopyReport {
        // A sink durable only on close: done marks wait for that close (see DeferredCheckpoint).
        if sink.capabilities.durableOnClose, let checkpoint, !(checkpoint is DeferredCheckpoint) {
            return await CopyEngine(
                source: source, sink: sink, options: options, checkpoint: DeferredCheckpoint(checkpoint), observer: observer
            ).run()
        }
        let started = Date()
        var report = CopyReport(
            version: MailFerryVersion.current, source: source.displayName, destination: sink.displayName,
            dryRun: options.dryRun, startedAt: started)
        report.checkpoint = checkpoint?.location ?? (options.dryRun ? options.preview?.location : nil)
        report.quarantine = options.quarantine?.location
        do {
            try await checkpoint?.beginRun(at: started)
            let folders = try await source.listFolders()
            let existing = (try? await sink.listFolders()) ?? []
            let plan = options.planner.plan(
                sourceFolders: folders, sourceCapabilities: source.capabilities, sinkFolders: existing,
                sinkCapabilities: sink.capabilities)
            report.notes += plan.notes
            report.skippedFolders = plan.skipped
            report.warnings += await source.listingProblems().map { CopyReport.Problem($0) }
            observer?(.planned(plan))
            let progress = RunProgress(started: started, folderBytes: plan.entries.map(\.source.byteCount))
            let limiter = options.maximumBytesPerSecond.map { RateLimiter(bytesPerSecond: $0) }
            let concurrency = max(
                1,
                min(source.capabilities.maximumConcurrency, sink.capabilities.maximumConcurrency, options.maximumConcurrency))
            // The memory budget is for the whole run: folders copied at once share it.
            let share = max(1, min(concurrency, plan.entries.count))
            let budget = FolderBudget(
                buffer: max(1 << 20, options.bufferBudget / share), batch: max(512 << 10, options.batchBytes / share),
                limiter: limiter)
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
                    let destination = existing.first { $0.path.components == entry.destination.components }
                    group.addTask {
                        let outcome = options.dryRun
                            ? await planFolder(entry, destination: destination)
                            : await watched(entry) {
                                await copyFolder(
                                    entry, destination: destination, index: index, count: plan.entries.count,
                                    progress: progress, budget: budget)
                            }
                        return (index, outcome)
                    }
                }
                while next < min(concurrency, plan.entries.count) {
                    launch(next)
                    next += 1
                }
                for await (index, outcome) in group {
                    outcomes[index] = outcome
                    progress.finish(folderIndex: index)
                    observer?(.folderFinished(outcome.report))
                    if outcome.stoppedBy != nil { stopped = true }
                    if !stopped && next < plan.entries.count {
                        launch(next)
                        next += 1
                    }
                }
            }
            if sink.capabilities.durableOnClose && !options.dryRun {
                if outcomes.contains(where: { $0?.abandoned == true }) {
                    // A folder's stalled work was left behind and may still write: the volume is not completed.
                    report.notes.append("the destination was not completed: a folder's copy stopped moving")
                } else {
                    await closeDurableSink(plan: plan, outcomes: &outcomes, report: &report)
                }
            }
            for outcome in outcomes.compactMap({ $0 }) {
                report.folders.append(outcome.report)
                report.failures += outcome.failures
                report.warnings += outcome.warnings
                report.losses += outcome.losses
                report.modified += outcome.modified
                report.quarantined += outcome.quarantined
                report.notes += outcome.notes
                if report.stoppedBy == nil { report.stoppedBy = outcome.stoppedBy }
            }
        } catch let error as MailError {
            report.stoppedBy = CopyReport.Problem(error)
        } catch {
            report.stoppedBy = CopyReport.Problem(MailError(.internalError, scope: .store, retry: .never, "\(error)"))
        }
        report.finish(at: Date())
        if let checkpoint {
            do {
                try await checkpoint.finishRun(
                    RunSummary(
                        finishedAt: Date(), outcome: report.outcome.rawValue, copied: report.totals.copied,
                        failed: report.totals.failed, skipped: report.totals.skipped,
                        stoppedBy: report.stoppedBy?.text))
            } catch {
                report.warnings.append(
                    CopyReport.Problem(
                        MailError(.checkpoint, scope: .store, retry: .later, "the run's summary was not recorded: \(error)")))
            }
        }
        return report
    }

    /// Closes a sink durable only on close (an archive: finished, read back, verified and
    /// given its final name), then records its messages as done, then — when asked — deletes
    /// from the source what the checkpoint records as stored, this run's and earlier runs'.
    private func closeDurableSink(plan: CopyPlan, outcomes: inout [FolderOutcome?], report: inout CopyReport) async {
        do {
            // In-flight marks must be durable before the sink can complete (an archive gets its
            // name); the sink prepares its close (an archive: finish, fsync, verify) meanwhile.
            let sink = self.sink
            async let prepared: Void = sink.prepareClose()
            var flushError: (any Error)?
            do { try await (checkpoint as? DeferredCheckpoint)?.flushPending() } catch { flushError = error }
            do {
                try await prepared
            } catch {
                throw flushError ?? error  // both failed: the checkpoint's error says more
            }
            if let flushError { throw flushError }
            try await sink.close()
        } catch {
            let copied = outcomes.reduce(0) { $0 + ($1?.report.copied ?? 0) }
            for index in outcomes.indices { outcomes[index]?.report.copied = 0 }
            let problem = (error as? MailError) ?? MailError(.internalError, scope: .store, retry: .never, "\(error)")
            report.stoppedBy = CopyReport.Problem(problem)
            report.notes.append(
                "the destination could not be completed, so none of the \(copied) message(s) of this run was recorded "
                    + "as copied; the next run copies them again")
            return
        }
        guard let deferred = checkpoint as? DeferredCheckpoint else { return }
        options.resume.faultPoint?(.afterSinkClose)
        do {
            try await deferred.commit()
            options.resume.faultPoint?(.afterCommit)
        } catch {
            report.stoppedBy = CopyReport.Problem(
                MailError(.checkpoint, scope: .store, retry: .later, "the destination is complete but the checkpoint could not record it: \(error)"))
            return
        }
        guard let removal = options.removal else { return }
        for (index, entry) in plan.entries.enumerated() {
            guard var outcome = outcomes[index], outcome.stoppedBy == nil, outcome.report.error == nil else { continue }
            do {
                let folder = try await deferred.committedFolder(source: entry.source.path, destination: entry.destination)
                await removeCopied(entry, done: folder.done, policy: removal, outcome: &outcome)
            } catch {
                outcome.record(error, folder: entry.source.path)
            }
            outcomes[index] = outcome
        }
    }
}

/// Memory one folder may use: its share of the run's buffer and batch budgets.
struct FolderBudget: Sendable {
    var buffer: Int
    var batch: Int
    /// The run's rate cap, shared by its folders.
    var limiter: RateLimiter?
}
