import Foundation
import MailCore

extension CopyEngine {
    /// An item on its way from the reader to the writer, with the reader's position for the ETA.
    private struct Transit: Sendable {
        var item: SourceItem
        var bytesConsumed: Int
        var bytesExpected: Int?
    }

    /// Copies one folder: a child task reads the source into a bounded channel, this task stores
    /// batches. With a checkpoint, it first settles what earlier runs left (see ``FolderResume``)
    /// and reads only what they did not copy. Message and folder failures are listed; a store
    /// failure sets `stoppedBy`, with this folder's partial counts kept.
    func copyFolder(
        _ entry: CopyPlan.Entry, destination: FolderInfo?, index: Int, count: Int, progress: RunProgress,
        budget: FolderBudget
    ) async -> FolderOutcome {
        var outcome = FolderOutcome(entry)
        // A rerun with nothing new: both listings match the checkpoint, so neither the folder's
        // rows are loaded nor the destination folder opened (for IMAP, the listing's STATUS is
        // all it costs). Any doubt, including an unreadable overview, takes the full path.
        if let checkpoint, options.removal == nil || entry.source.messageCount == 0,
            let overview = try? await checkpoint.overview(source: entry.source.path, destination: entry.destination),
            FolderResume.isUnchanged(overview, source: entry.source, destination: destination, options: options.resume)
        {
            outcome.report.destinationLocation = destination?.location
            outcome.report.upToDate = true
            outcome.report.skipped = overview.done
            if overview.permanentFailures > 0 {
                outcome.notes.append(permanentFailureNote(entry, count: overview.permanentFailures))
            }
            return outcome
        }
        var resume: FolderResume?
        if let checkpoint {
            do {
                let loaded = try await FolderResume.load(checkpoint: checkpoint, entry: entry, options: options.resume)
                // A source the run deletes from (--delete-after-copy) is meant to shrink.
                if options.removal == nil { try loaded.checkShrink() }
                if let prefix = source.capabilities.folderSpanningKeyPrefix { try await loaded.excludeDoneElsewhere(prefix: prefix) }
                resume = loaded
            } catch {
                outcome.record(error, folder: entry.source.path)
                return outcome
            }
        }
        let writer: any FolderWriter
        do {
            writer = try await sink.openFolder(entry.destination, subscribe: entry.source.isSubscribed ?? true)
        } catch {
            outcome.record(error, folder: entry.destination)
            return outcome
        }
        outcome.report.destinationLocation = writer.location
        var identities: IdentityIndex?
        var complete = false
        var flagToken: String?
        do {
            if let resume {
                try await resume.prepare(writer: writer)
                outcome.report.inFlightFound = resume.inFlightFound
            } else if options.resume.dedup {
                identities = IdentityIndex(try await writer.existingMessages())
            }
            if let resume, resume.isUpToDate {
                outcome.report.upToDate = true
                outcome.report.skipped = resume.doneMessages.count
            } else {
                try await copyMessages(
                    entry, writer: writer, resume: resume, identities: &identities, outcome: &outcome, index: index,
                    count: count, progress: progress, budget: budget)
            }
            if let resume, options.resume.syncFlags {
                flagToken = try await synchroniseFlags(entry, writer: writer, resume: resume, outcome: &outcome)
            }
            complete = true
        } catch {
            outcome.record(error, folder: entry.source.path)
        }
        if let resume {
            outcome.notes += resume.notes.map { "\(entry.source.path.displayName): \($0)" }
            outcome.report.deduplicated += resume.deduplicated
            if resume.permanentFailures > 0 && !options.resume.retryFailed {
                outcome.notes.append(permanentFailureNote(entry, count: resume.permanentFailures))
            }
            if outcome.stoppedBy == nil {
                do {
                    // Messages the filter left out must be read again next time (a later cutoff) —
                    // including those a source left out itself (IMAP SEARCH, POP3 TOP), which
                    // the engine never saw: with a filter the folder is never recorded complete.
                    try await resume.finish(
                        complete: complete && outcome.report.error == nil && outcome.report.filtered == 0
                            && !(options.filter?.isActive ?? false),
                        flagsSynchronised: flagToken)
                    options.resume.faultPoint?(.afterFolder)
                } catch {
                    outcome.record(error, folder: entry.source.path)
                }
            }
            // A sink durable only on close (an archive) deletes after that close (see run()).
            if let removal = options.removal, complete, outcome.stoppedBy == nil, !sink.capabilities.durableOnClose {
                await removeCopied(entry, resume: resume, policy: removal, outcome: &outcome)
            }
        }
        do {
            try await writer.close()
        } catch {
            if outcome.report.error == nil { outcome.record(error, folder: entry.destination) }
        }
        return outcome
    }

    /// Deletes from the source what the checkpoint records as copied (`--delete-after-copy`):
    /// done rows exist only for messages the sink confirmed durable, in this run or earlier ones.
    private func removeCopied(
        _ entry: CopyPlan.Entry, resume: FolderResume, policy: SourceRemovalPolicy, outcome: inout FolderOutcome
    ) async {
        await removeCopied(entry, done: resume.doneMessages, policy: policy, outcome: &outcome)
    }

    /// Asks the source to delete `done` (keys with the fingerprints the checkpoint recorded).
    func removeCopied(
        _ entry: CopyPlan.Entry, done: [SourceKey: DoneSummary], policy: SourceRemovalPolicy, outcome: inout FolderOutcome
    ) async {
        guard !done.isEmpty else { return }
        do {
            let request = RemovalRequest(
                keys: Set(done.keys), olderThan: policy.olderThan, fingerprints: done.mapValues(\.fingerprint),
                allowsPlainExpunge: policy.allowsPlainExpunge)
            let result = try await source.removeCopied(request, in: entry.source)
            outcome.report.removedFromSource += result.removed
            if result.kept > 0 {
                outcome.notes.append(
                    "\(entry.source.path.displayName): \(result.kept) copied message(s) were left on the source: not older than the cutoff")
            }
        } catch {
            outcome.record(error, folder: entry.source.path)
        }
    }

    private func permanentFailureNote(_ entry: CopyPlan.Entry, count: Int) -> String {
        "\(entry.source.path.displayName): \(count) message(s) failed for good in earlier runs and were not "
            + "tried again (`mailferry status` lists them; --retry-failed retries them)"
    }

    /// The copy loop proper: read (only what the checkpoint does not have), decide per message,
    /// and store in batches with the checkpoint written around each.
    private func copyMessages(
        _ entry: CopyPlan.Entry, writer: any FolderWriter, resume: FolderResume?, identities: inout IdentityIndex?,
        outcome: inout FolderOutcome, index: Int, count: Int, progress: RunProgress, budget: FolderBudget
    ) async throws {
        var losses: [String: Int] = [:]
        defer {
            for (flag, messages) in losses.sorted(by: { $0.key < $1.key }) {
                outcome.losses.append(CopyReport.Loss(folder: entry.destination.displayName, flag: flag, messages: messages))
            }
        }
        let channel = BoundedChannel<Transit>(budget: budget.buffer)
        let pipeline = self.pipeline
        let source = self.source
        let folder = entry.source
        var chosen = resume?.selection ?? .all
        chosen.hint = options.filter?.hint
        let selection = chosen
        let messagesTotal = entry.source.messageCount.map { max(0, $0 - (resume?.skippedBySelection ?? 0)) }
        if let resume { outcome.report.skipped = resume.skippedBySelection }
        let note: String? = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    let stream = try await source.messages(in: folder, selection: selection)
                    let reader = stream.reader
                    defer { reader.close() }
                    for try await item in stream {
                        let cost: Int
                        if case .message(let envelope) = item { cost = envelope.data.bufferedCount } else { cost = 0 }
                        let transit = Transit(item: item, bytesConsumed: reader.bytesConsumed, bytesExpected: reader.bytesExpected)
                        guard await channel.send(transit, cost: cost) else { break }
                        CopyActivity.current?.touch()
                    }
                    channel.finish()
                    return reader.note
                } catch {
                    channel.finish(throwing: error)
                    return nil
                }
            }
            do {
                var processed = 0
                while let batch = try await channel.receiveBatch(maximumCount: options.batchMessages, maximumCost: budget.batch) {
                    // What the sink gets (transformed), beside what the source gave.
                    var toStore: [MessageEnvelope] = []
                    var originals: [MessageEnvelope] = []
                    var transformed: [TransformOutcome?] = []
                    var refused: [(MessageEnvelope, MailError)] = []
                    var duplicates: [(MessageEnvelope, String)] = []
                    var sourceFailures: [FailedMessage] = []
                    var consumed = 0
                    for transit in batch {
                        consumed = transit.bytesConsumed
                        if let expected = transit.bytesExpected { progress.expect(folderIndex: index, bytes: expected) }
                        switch transit.item {
                        case .message(let envelope):
                            // --dedup compares what the destination would hold: the transformed message.
                            var early: Result<TransformOutcome, MailError>?
                            if options.resume.dedup {
                                do {
                                    early = .success(try prepare(envelope, pipeline: pipeline))
                                } catch {
                                    early = .failure(Self.messageError(error))
                                }
                            }
                            let identity = (try? early?.get())?.envelope ?? envelope
                            let decision: FolderResume.Decision
                            if let resume {
                                decision = try resume.decide(envelope, identity: identity)
                            } else if let reference = try identities?.claim(identity) {
                                decision = .duplicate(reference: reference)
                            } else {
                                decision = .copy
                            }
                            switch decision {
                            case .copy:
                                if let filter = options.filter, !filter.admits(envelope) {
                                    outcome.report.filtered += 1
                                } else {
                                    do {
                                        let result = try early?.get() ?? prepare(envelope, pipeline: pipeline)
                                        toStore.append(result.envelope)
                                        originals.append(envelope)
                                        transformed.append(result.changes.isEmpty && result.notes.isEmpty ? nil : result)
                                    } catch {
                                        refused.append((envelope, Self.messageError(error)))
                                    }
                                }
                            case .alreadyCopied: outcome.report.skipped += 1
                            case .notSelected: break
                            case .duplicate(let reference):
                                duplicates.append((envelope, reference))
                                if resume == nil { outcome.report.deduplicated += 1 }
                            }
                        case .failure(let error):
                            outcome.report.failed += 1
                            outcome.failures.append(CopyReport.Problem(error, folder: entry.source.path))
                            if let key = error.messageKey {
                                sourceFailures.append(FailedMessage(key: SourceKey(key), record: nil, error: error))
                            }
                        case .warning(let error):
                            outcome.warnings.append(CopyReport.Problem(error, folder: entry.source.path))
                        }
                    }
                    try await resume?.recordDecisions(duplicates: duplicates)
                    var done: [DoneMessage] = []
                    var failed = sourceFailures
                    var storedBytes = 0
                    for (envelope, error) in refused {
                        await refuse(envelope, error: error, entry: entry, outcome: &outcome, failed: &failed)
                    }
                    // A first round sends the batch; a second sends, repaired, what the destination
                    // refused in a way a repair may address. Each round is marked in flight with the
                    // bytes it sends, so a crash between them resolves against what was sent last.
                    var sending = toStore
                    var round = 0
                    while !sending.isEmpty {
                        if let resume {
                            try await resume.markInFlight(sending, position: try await writer.position())
                            options.resume.faultPoint?(.afterInFlight)
                        }
                        let results = try await writer.store(sending)
                        if resume != nil { options.resume.faultPoint?(.afterStore) }
                        var again: [(sent: MessageEnvelope, original: MessageEnvelope, change: TransformOutcome)] = []
                        for (position, result) in results.enumerated() {
                            let envelope = originals[position]
                            switch result {
                            case .stored(let stored):
                                outcome.report.copied += 1
                                outcome.report.bytes += sending[position].size
                                storedBytes += sending[position].size
                                // The source's identity and fingerprint: what removal and reruns compare with.
                                done.append(DoneMessage(record: MessageRecord(envelope), reference: stored.reference))
                                if let change = transformed[position] { record(change, of: envelope, outcome: &outcome) }
                                for flag in sink.capabilities.unsupported(in: envelope.flags).sorted + stored.droppedFlags.sorted {
                                    losses[flag.description, default: 0] += 1
                                }
                            case .failed(let error):
                                if round == 0, let repaired = repairAfterRefusal(sending[position], change: transformed[position], error: error) {
                                    again.append((repaired.envelope, envelope, repaired))
                                } else {
                                    var failure = error
                                    if round > 0 { failure.summary += " (after repair: \(transformed[position]?.changes.joined(separator: ", ") ?? ""))" }
                                    await refuse(envelope, error: failure, entry: entry, outcome: &outcome, failed: &failed)
                                }
                            }
                        }
                        if let resume, !done.isEmpty || !failed.isEmpty {
                            try await resume.markDone(done, failed: failed)
                            options.resume.faultPoint?(.afterDone)
                            done = []
                            failed = []
                        }
                        if !again.isEmpty, resume != nil { options.resume.faultPoint?(.afterRefusal) }
                        sending = again.map(\.sent)
                        originals = again.map(\.original)
                        transformed = again.map(\.change)
                        round += 1
                    }
                    if let resume, !done.isEmpty || !failed.isEmpty {
                        try await resume.markDone(done, failed: failed)
                    }
                    processed += batch.count
                    if storedBytes > 0, let limiter = budget.limiter { await limiter.stored(storedBytes) }
                    let snapshot = progress.update(
                        folderIndex: index, folderCount: count, folder: entry.source.path.displayName,
                        messagesDone: min(processed, messagesTotal ?? processed), messagesTotal: messagesTotal,
                        bytesRead: consumed, storedMessages: toStore.count, storedBytes: storedBytes)
                    observer?(.progress(snapshot))
                    CopyActivity.current?.touch()
                }
            } catch {
                channel.cancel()
                throw error
            }
            return try await group.next() ?? nil
        }
        if let note { outcome.notes.append("\(entry.source.path.displayName): \(note)") }
    }

    /// The message as the sink gets it: transformed, and within the size limit.
    private func prepare(_ envelope: MessageEnvelope, pipeline: TransformPipeline) throws -> TransformOutcome {
        let result = try pipeline.apply(to: envelope)
        if let limit = options.maximumMessageSize {
            let size = try result.envelope.data.crlfSize()
            if size > limit {
                throw MailError(
                    .tooLarge, scope: .message, retry: .never,
                    "the message is \(size) bytes; the destination accepts at most \(limit) (--max-message-size or the provider's limit)")
            }
        }
        return result
    }

    /// The message `sent` repaired for a refusal a repair may address (``MailError/repairs``):
    /// only the repairs the refusal allows and the message needs, with the destination's words
    /// kept for the report. `nil` when the refusal stands: `--repair=never`, a refusal no repair
    /// helps (a size limit), nothing to repair, or a repaired message over the size limit.
    private func repairAfterRefusal(_ sent: MessageEnvelope, change: TransformOutcome?, error: MailError) -> TransformOutcome? {
        guard options.repairMode != .never, let kinds = error.repairs, let policy = sink.capabilities.requiredRepairs else {
            return nil
        }
        do {
            let step = try RepairTransform(policy: kinds.isEmpty ? policy : policy.restricted(to: kinds)).apply(to: sent)
            guard !step.changes.isEmpty else { return nil }
            if let limit = options.maximumMessageSize, try step.envelope.data.crlfSize() > limit { return nil }
            var result = change ?? TransformOutcome(envelope: sent)
            result.envelope = step.envelope
            result.changes += step.changes
            result.notes += step.notes
            result.refusal = error.summary
            return result
        } catch {
            return nil
        }
    }

    static func messageError(_ error: any Error) -> MailError {
        (error as? MailError)?.withScope(.message) ?? MailError(.malformedMessage, scope: .message, retry: .never, "\(error)")
    }

    /// Lists a message stored with changed bytes (or notes about it).
    private func record(_ change: TransformOutcome, of envelope: MessageEnvelope, outcome: inout FolderOutcome) {
        if change.changes.isEmpty {
            for note in change.notes {
                var warning = MailError(.unsupported, scope: .message, retry: .never, note, folder: envelope.folder)
                warning.messageNumber = envelope.number
                warning.messageKey = envelope.key.value
                outcome.warnings.append(CopyReport.Problem(warning))
            }
            return
        }
        outcome.report.modified += 1
        outcome.modified.append(
            CopyReport.ModifiedMessage(
                folder: envelope.folder.displayName, message: envelope.number, key: envelope.key.value,
                messageID: envelope.messageID, changes: change.changes, notes: change.notes, refusal: change.refusal))
    }

    /// A message the sink (or the size limit, or a transform) refused: listed as failed, and
    /// kept in the quarantine when the run has one and the refusal is final.
    private func refuse(
        _ envelope: MessageEnvelope, error: MailError, entry: CopyPlan.Entry, outcome: inout FolderOutcome,
        failed: inout [FailedMessage]
    ) async {
        var failure = error
        failure.messageNumber = failure.messageNumber ?? envelope.number
        failure.messageKey = failure.messageKey ?? envelope.key.value
        if let quarantine = options.quarantine, failure.retry == .never {
            do {
                let file = try await quarantine.quarantine(envelope, reason: failure.summary, folder: entry.destination)
                outcome.report.quarantined += 1
                outcome.quarantined.append(
                    CopyReport.QuarantinedMessage(
                        folder: entry.source.path.displayName, message: envelope.number, key: envelope.key.value,
                        messageID: envelope.messageID, size: envelope.size, reason: failure.summary, file: file))
                failure.summary += " (kept in the quarantine: \(file))"
            } catch {
                failure.summary += "; the quarantine could not keep it either: \(Self.messageError(error).summary)"
            }
        }
        outcome.report.failed += 1
        outcome.failures.append(CopyReport.Problem(failure, folder: entry.source.path))
        failed.append(FailedMessage(key: envelope.key, record: MessageRecord(envelope), error: failure))
    }

    /// Applies the source's current flags to messages copied earlier (`--sync-flags`); returns
    /// the flag token to save, or `nil` when flags could not be synchronised.
    private func synchroniseFlags(
        _ entry: CopyPlan.Entry, writer: any FolderWriter, resume: FolderResume, outcome: inout FolderOutcome
    ) async throws -> String? {
        let name = entry.source.path.displayName
        guard sink.capabilities.updatesFlags else {
            outcome.notes.append("\(name): flags were not synchronised: the destination cannot change a stored message's flags")
            return nil
        }
        if let token = entry.source.flagToken, token == resume.flagToken, !resume.destinationReplaced, !resume.sourceReplaced {
            return token  // no flag changed since the last synchronisation
        }
        guard let listing = try await source.flags(in: entry.source, changedSince: resume.flagToken) else {
            outcome.notes.append("\(name): flags were not synchronised: the source cannot list them")
            return nil
        }
        let done = resume.doneMessages
        var changes: [(key: SourceKey, reference: String, flags: FlagSet)] = []
        for listed in listing.entries {
            guard let copied = done[listed.key], copied.flags != listed.flags,
                listed.fingerprint == nil || listed.fingerprint == copied.fingerprint
            else { continue }
            changes.append((listed.key, copied.reference, listed.flags))
        }
        guard !changes.isEmpty else { return listing.token ?? entry.source.flagToken }
        let results = try await writer.updateFlags(changes.map { ($0.reference, $0.flags) })
        var updates: [FlagUpdate] = []
        for (change, reference) in zip(changes, results) {
            guard let reference else { continue }
            updates.append(FlagUpdate(key: change.key, flags: change.flags, reference: reference))
        }
        try await resume.recordFlagUpdates(updates)
        outcome.report.flagsUpdated += updates.count
        let missing = changes.count - updates.count
        if missing > 0 {
            outcome.warnings.append(
                CopyReport.Problem(
                    MailError(
                        .notFound, scope: .message, retry: .later,
                        "flags of \(missing) message(s) could not be updated: the destination no longer has them "
                            + "where they were stored", folder: entry.destination)))
        }
        return listing.token ?? entry.source.flagToken
    }
}
