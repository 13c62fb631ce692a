import Foundation
import MailCore

/// Compares a source with a destination the way `copy` maps them: per destination folder, the
/// messages' contents (fingerprints), flags and keywords, and arrival dates — within what both
/// stores can hold. Reads both sides in full; keeps a small summary per message.
public struct Verifier: Sendable {
    public let source: any MessageSource
    public let destination: any MessageSource
    public let planner: CopyPlanner
    /// Messages only the destination holds count as a difference.
    public let exact: Bool
    public let observer: (@Sendable (CopyEvent) -> Void)?
    /// The transforms `copy` applied (``CopyOptions/transforms``, then the repair it made before
    /// sending): source messages are compared as `copy` would have stored them.
    let pipeline: TransformPipeline
    /// With repair on refusal, the repair `copy` makes of a message the destination refused: a
    /// destination message equal to the source repaired this way matches too (`nil`: only the
    /// pipeline's form matches — `--repair=never` or `always`).
    let refusalRepair: RepairTransform?

    /// `repair: false` is `repairMode: .never` (strict); `repairMode` wins when given.
    public init(
        source: any MessageSource, destination: any MessageSource, planner: CopyPlanner, exact: Bool = false,
        transforms: [any MessageTransform] = [], repair: Bool = true, repairMode: RepairMode? = nil,
        preemptiveRepairs: Set<RepairKind> = [], observer: (@Sendable (CopyEvent) -> Void)? = nil
    ) {
        let mode = repairMode ?? (repair ? .onRefusal : .never)
        let capabilities = destination.capabilities
        let preemptive = CopyEngine.preemptiveRepair(mode: mode, capabilities: capabilities, declared: preemptiveRepairs)
        pipeline = TransformPipeline(transforms: transforms + (preemptive.map { [$0 as any MessageTransform] } ?? []))
        refusalRepair = mode == .onRefusal ? capabilities.requiredRepairs.map(RepairTransform.init(policy:)) : nil
        self.source = source
        self.destination = destination
        self.planner = planner
        self.exact = exact
        self.observer = observer
    }

    /// One message as the comparison needs it.
    struct Summary {
        var message: VerifyReport.Message
        /// The fingerprint of the message as a refusal's repair would have made it, when that differs.
        var repaired: Fingerprint? = nil
        var flags: FlagSet
        var seconds: Int?
        var date: Date?
    }

    public func run() async -> VerifyReport {
        let started = Date()
        var report = VerifyReport(source: source.displayName, destination: destination.displayName, exact: exact)
        let sourceCapabilities = source.capabilities
        let destinationCapabilities = destination.capabilities
        let systemFlags = sourceCapabilities.systemFlags.intersection(destinationCapabilities.systemFlags)
        let keywords: Bool
        switch (sourceCapabilities.keywords, destinationCapabilities.keywords) {
        case (.none, _), (_, .none): keywords = false
        default: keywords = true
        }
        let dates = sourceCapabilities.internalDate && destinationCapabilities.internalDate
        report.compared = ["contents (SHA-256 of the CRLF-normalised message)", "flags \(FlagSet(system: systemFlags).description)"]
            + (keywords ? ["keywords"] : []) + (dates ? ["arrival dates (to the second)"] : [])
        func mask(_ flags: FlagSet) -> FlagSet {
            FlagSet(system: flags.system.intersection(systemFlags), keywords: keywords ? flags.keywords : [])
        }
        do {
            let sourceFolders = try await source.listFolders()
            let destinationFolders = try await destination.listFolders()
            let plan = planner.plan(
                sourceFolders: sourceFolders, sourceCapabilities: sourceCapabilities, sinkFolders: destinationFolders,
                sinkCapabilities: destinationCapabilities)
            report.skippedFolders = plan.skipped
            var groups: [(destination: FolderPath, sources: [FolderInfo])] = []
            for entry in plan.entries {
                if let index = groups.firstIndex(where: { $0.destination == entry.destination }) {
                    groups[index].sources.append(entry.source)
                } else {
                    groups.append((entry.destination, [entry.source]))
                }
            }
            // Sources whose keys span folders: what one folder misses may be in another.
            var unpaired = UnpairedMessages()
            for (index, group) in groups.enumerated() {
                observer?(
                    .folderStarted(
                        index: index, count: groups.count, source: group.sources.map(\.path.displayName).joined(separator: ", "),
                        destination: group.destination.displayName))
                var folder = VerifyReport.Folder(
                    sources: group.sources.map(\.path.displayName), destination: group.destination.displayName)
                do {
                    var sourceMessages: [Fingerprint: [Summary]] = [:]
                    for info in group.sources {
                        let read = try await collect(source, info, mask: mask, dates: dates, pipeline: pipeline)
                        folder.sourceMessages += read.count
                        folder.unreadable += read.unreadable
                        sourceMessages.merge(read.messages) { $0 + $1 }
                    }
                    var destinationMessages: [Fingerprint: [Summary]] = [:]
                    if let info = destinationFolders.first(where: { $0.path == group.destination && $0.isSelectable }) {
                        let read = try await collect(destination, info, mask: mask, dates: dates)
                        folder.destinationMessages = read.count
                        destinationMessages = read.messages
                    }
                    let (preferred, repairedMatches) = Self.preferRepaired(sourceMessages, destination: destinationMessages)
                    if repairedMatches > 0 {
                        report.notes.append(
                            "\(group.destination.displayName): \(repairedMatches) message(s) match in their repaired form "
                                + "(as repair makes them: after a refusal, or with --repair=always; --repair=never compares strictly)")
                    }
                    let left = compare(preferred, destinationMessages, into: &folder)
                    if sourceCapabilities.keysSpanFolders { unpaired.add(left, folder: report.folders.count) }
                } catch let error as MailError {
                    folder.error = error.description
                    if error.scope == .store { report.stoppedBy = error.description }
                } catch {
                    folder.error = "\(error)"
                }
                report.folders.append(folder)
                if report.stoppedBy != nil { break }
            }
            if sourceCapabilities.keysSpanFolders && unpaired.hasMissing && report.stoppedBy == nil {
                // A label with no message left is no source folder: its destination folder may hold them.
                let compared = Set(groups.map(\.destination))
                for info in destinationFolders where info.isSelectable && !compared.contains(info.path) {
                    do {
                        let read = try await collect(destination, info, mask: mask, dates: dates)
                        unpaired.add(UnpairedMessages.Folder(extra: read.messages.mapValues { $0.map(\.message) }), folder: UnpairedMessages.unlisted)
                    } catch {
                        report.notes.append("\(info.path.displayName) could not be read to find relabelled messages in: \(error)")
                    }
                }
            }
            unpaired.pairAcrossFolders(in: &report.folders)
        } catch let error as MailError {
            report.stoppedBy = error.description
        } catch {
            report.stoppedBy = "\(error)"
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Reads a folder into summaries by fingerprint.
    private func collect(
        _ store: any MessageSource, _ folder: FolderInfo, mask: (FlagSet) -> FlagSet, dates: Bool,
        pipeline: TransformPipeline? = nil
    ) async throws -> (messages: [Fingerprint: [Summary]], count: Int, unreadable: Int) {
        var messages: [Fingerprint: [Summary]] = [:]
        var count = 0
        var unreadable = 0
        let stream = try await store.messages(in: folder, selection: .all)
        defer { stream.reader.close() }
        for try await item in stream {
            switch item {
            case .message(var envelope):
                count += 1
                if let pipeline, !pipeline.transforms.isEmpty {
                    do {
                        envelope = try pipeline.apply(to: envelope).envelope
                    } catch {
                        unreadable += 1
                        continue
                    }
                }
                let date = dates ? envelope.internalDate : nil
                var repaired: Fingerprint?
                if pipeline != nil, let refusalRepair, let step = try? refusalRepair.apply(to: envelope), !step.changes.isEmpty {
                    repaired = step.envelope.fingerprint
                }
                messages[envelope.fingerprint, default: []].append(
                    Summary(
                        message: VerifyReport.Message(
                            folder: folder.path.displayName, key: envelope.key.value, messageID: envelope.messageID),
                        repaired: repaired,
                        flags: mask(envelope.flags), seconds: date.map { Int($0.timeIntervalSince1970.rounded(.down)) },
                        date: date))
            case .failure: unreadable += 1
            case .warning: break
            }
        }
        return (messages, count, unreadable)
    }

    /// Source messages keyed by the form the destination holds: as sent, or — when the
    /// destination has no message like that but one like its repaired form — as repaired.
    /// Returns them and how many were keyed by their repaired form.
    static func preferRepaired(
        _ sources: [Fingerprint: [Summary]], destination: [Fingerprint: [Summary]]
    ) -> ([Fingerprint: [Summary]], Int) {
        guard sources.values.contains(where: { $0.contains { $0.repaired != nil } }) else { return (sources, 0) }
        var result: [Fingerprint: [Summary]] = [:]
        var repairedMatches = 0
        for (fingerprint, summaries) in sources {
            for summary in summaries {
                if destination[fingerprint] == nil, let repaired = summary.repaired, destination[repaired] != nil {
                    result[repaired, default: []].append(summary)
                    repairedMatches += 1
                } else {
                    result[fingerprint, default: []].append(summary)
                }
            }
        }
        return (result, repairedMatches)
    }

    /// Pairs messages with equal contents — equal flags and dates first — and records the rest;
    /// returns the missing and the destination-only messages by content.
    @discardableResult
    private func compare(
        _ sources: [Fingerprint: [Summary]], _ destinations: [Fingerprint: [Summary]], into folder: inout VerifyReport.Folder
    ) -> UnpairedMessages.Folder {
        var unpaired = UnpairedMessages.Folder()
        func note<T>(_ item: T, in list: inout [T]) { if list.count < VerifyReport.listLimit { list.append(item) } }
        for fingerprint in Set(sources.keys).union(destinations.keys) {
            var left = sources[fingerprint] ?? []
            var right = destinations[fingerprint] ?? []
            // Exact pairs first, so that a difference is only reported where no better partner exists.
            var index = 0
            while index < left.count {
                if let match = right.firstIndex(where: { $0.flags == left[index].flags && same($0.seconds, left[index].seconds) }) {
                    right.remove(at: match)
                    left.remove(at: index)
                    folder.matched += 1
                } else {
                    index += 1
                }
            }
            while !left.isEmpty && !right.isEmpty {
                let a = left.removeFirst()
                let b = right.removeFirst()
                folder.matched += 1
                let difference = VerifyReport.Difference(
                    source: a.message, destination: b.message, sourceFlags: a.flags.description,
                    destinationFlags: b.flags.description, sourceDate: a.date, destinationDate: b.date)
                if a.flags != b.flags {
                    folder.flagDifferenceCount += 1
                    note(difference, in: &folder.flagDifferences)
                }
                if !same(a.seconds, b.seconds) {
                    folder.dateDifferenceCount += 1
                    note(difference, in: &folder.dateDifferences)
                }
            }
            for summary in left {
                folder.missingCount += 1
                note(summary.message, in: &folder.missing)
                unpaired.missing[fingerprint, default: []].append(summary.message)
            }
            let copied = sources[fingerprint]?.isEmpty == false
            for summary in right {
                if copied {
                    folder.duplicatedCount += 1
                    note(summary.message, in: &folder.duplicated)
                } else {
                    folder.extraCount += 1
                    note(summary.message, in: &folder.extra)
                    unpaired.extra[fingerprint, default: []].append(summary.message)
                }
            }
        }
        return unpaired
    }

    /// Dates compare only when both sides know one.
    private func same(_ a: Int?, _ b: Int?) -> Bool {
        guard let a, let b else { return true }
        return a == b
    }
}

/// Missing and destination-only messages of every folder so far, by content, for sources
/// whose keys span folders: a message missing from one destination folder and found only in
/// another was copied before its labels changed — counted there, not as missing.
struct UnpairedMessages {
    /// One folder's missing and destination-only messages, by content.
    struct Folder {
        var missing: [Fingerprint: [VerifyReport.Message]] = [:]
        var extra: [Fingerprint: [VerifyReport.Message]] = [:]
    }

    private var missing: [Fingerprint: [(folder: Int, message: VerifyReport.Message)]] = [:]
    private var extra: [Fingerprint: [(folder: Int, message: VerifyReport.Message)]] = [:]
    /// The folder index of a destination folder no source folder maps to.
    static let unlisted = -1

    var hasMissing: Bool { !missing.isEmpty }

    mutating func add(_ unpaired: Folder, folder: Int) {
        for (fingerprint, messages) in unpaired.missing { missing[fingerprint, default: []] += messages.map { (folder, $0) } }
        for (fingerprint, messages) in unpaired.extra { extra[fingerprint, default: []] += messages.map { (folder, $0) } }
    }

    /// Moves each pair (same content, different folders) from "missing" and "only in the
    /// destination" to ``VerifyReport/Folder/elsewhereCount``.
    func pairAcrossFolders(in folders: inout [VerifyReport.Folder]) {
        for (fingerprint, wanted) in missing {
            var found = extra[fingerprint] ?? []
            for (folder, message) in wanted {
                guard let index = found.firstIndex(where: { $0.folder != folder }) else { continue }
                let (other, stored) = found.remove(at: index)
                folders[folder].missingCount -= 1
                folders[folder].missing.removeAll { $0 == message }
                folders[folder].elsewhereCount += 1
                guard other != Self.unlisted else { continue }
                folders[other].extraCount -= 1
                folders[other].extra.removeAll { $0 == stored }
            }
        }
    }
}
