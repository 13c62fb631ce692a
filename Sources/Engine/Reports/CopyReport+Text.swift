import Foundation

extension CopyReport {
    /// The report for a terminal: a line per folder, then problems, losses and notes.
    public var text: String {
        var lines: [String] = []
        lines.append("\(dryRun ? "Plan" : "Copy"): \(source) → \(destination)")
        let width = max(6, folders.map(\.source.count).max() ?? 6)
        for folder in folders {
            let name = folder.source.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = "  \(name)  → \(folder.destination)"
            if dryRun && folder.upToDate {
                line += "  up to date (\(folder.skipped) copied before)"
            } else if dryRun {
                if let messages = folder.plannedMessages {
                    line += "  \(messages) messages, \(Self.formatBytes(folder.plannedBytes ?? 0))"
                }
                if folder.skipped > 0 { line += ", \(folder.skipped) copied before" }
                if folder.filtered > 0 { line += ", \(folder.filtered) left out by the filter" }
            } else if folder.upToDate && folder.flagsUpdated == 0 && folder.removedFromSource == 0 {
                line += "  up to date (\(folder.skipped) copied before)"
            } else {
                line += "  \(folder.copied) copied, \(Self.formatBytes(folder.bytes))"
                if folder.skipped > 0 { line += ", \(folder.skipped) copied before" }
                if folder.deduplicated > 0 { line += ", \(folder.deduplicated) already there" }
                if folder.inFlightFound > 0 { line += ", \(folder.inFlightFound) found after the interruption" }
                if folder.flagsUpdated > 0 { line += ", flags updated on \(folder.flagsUpdated)" }
                if folder.failed > 0 { line += ", \(folder.failed) failed" }
                if folder.filtered > 0 { line += ", \(folder.filtered) left out by the filter" }
                if folder.modified > 0 { line += ", \(folder.modified) modified" }
                if folder.quarantined > 0 { line += ", \(folder.quarantined) quarantined" }
            }
            if folder.removedFromSource > 0 { line += ", \(folder.removedFromSource) deleted from the source" }
            if let error = folder.error { line += "  [\(error)]" }
            lines.append(line)
        }
        if !skippedFolders.isEmpty {
            lines.append("Folders not copied (\(skippedFolders.count)):")
            lines += skippedFolders.map { "  \($0.folder): \($0.reason)" }
        }
        if !failures.isEmpty {
            lines.append("Failed (\(failures.count)):")
            lines += failures.prefix(200).map { "  \($0.text)" }
            if failures.count > 200 { lines.append("  … and \(failures.count - 200) more (see --json)") }
        }
        if !warnings.isEmpty {
            lines.append("Warnings (\(warnings.count)):")
            lines += warnings.prefix(50).map { "  \($0.text)" }
            if warnings.count > 50 { lines.append("  … and \(warnings.count - 50) more (see --json)") }
        }
        if !quarantined.isEmpty {
            lines.append("Quarantined (\(quarantined.count), in \(quarantine ?? "the quarantine")):")
            lines += quarantined.prefix(200).map {
                "  \($0.folder): message \($0.message.map(String.init) ?? $0.key)\($0.messageID.map { " \($0)" } ?? ""): \($0.reason) → \($0.file)"
            }
            if quarantined.count > 200 { lines.append("  … and \(quarantined.count - 200) more (see --json)") }
        }
        if !modified.isEmpty {
            lines.append("Modified on the way (\(modified.count)):")
            lines += modified.prefix(20).map {
                "  \($0.folder): message \($0.message.map(String.init) ?? $0.key): \(($0.changes + $0.notes).joined(separator: "; "))"
                    + ($0.refusal.map { " (refused as it was: \($0))" } ?? "")
            }
            if modified.count > 20 { lines.append("  … and \(modified.count - 20) more (see --json)") }
        }
        if !losses.isEmpty {
            lines.append("Not kept by the destination:")
            lines += losses.map { "  \($0.folder): \($0.flag) on \($0.messages) message\($0.messages == 1 ? "" : "s")" }
        }
        lines += notes.map { "Note: \($0)" }
        for file in writtenFiles {
            lines.append(
                "Wrote \(file.path): \(Self.count(file.messages, "message")), \(Self.formatBytes(file.bytes)) in "
                    + "\(Self.formatBytes(file.fileBytes)) (read back and verified)")
        }
        if let stoppedBy { lines.append("Stopped: \(stoppedBy.text)") }
        let seconds = Self.fixed(self.seconds, places: 2)
        if dryRun {
            let messages = folders.reduce(0) { $0 + ($1.plannedMessages ?? 0) }
            let bytes = folders.reduce(0) { $0 + ($1.plannedBytes ?? 0) }
            if messages == 0 && failures.isEmpty && stoppedBy == nil {
                lines.append("\(nothingToDoText); nothing was written.")
            } else {
                var summary = "Would copy \(Self.count(messages, "message")) (\(Self.formatBytes(bytes))) in \(Self.count(folders.count, "folder"))"
                if totals.skipped > 0 { summary += "; \(totals.skipped) copied before" }
                if totals.filtered > 0 { summary += "; \(totals.filtered) left out by the filter" }
                lines.append("\(summary); nothing was written.")
            }
        } else if nothingToDo {
            lines.append("\(nothingToDoText) (\(seconds) s).")
        } else {
            var summary = "\(Self.count(totals.copied, "message")) copied (\(Self.formatBytes(totals.bytes))) in \(Self.count(totals.folders, "folder")), \(seconds) s"
            if totals.skipped > 0 { summary += "; \(totals.skipped) copied before" }
            if totals.deduplicated > 0 { summary += "; \(totals.deduplicated) already in the destination" }
            if totals.flagsUpdated > 0 { summary += "; flags updated on \(totals.flagsUpdated)" }
            if totals.removedFromSource > 0 { summary += "; \(totals.removedFromSource) deleted from the source" }
            if totals.failed > 0 { summary += "; \(totals.failed) failed" }
            if totals.filtered > 0 { summary += "; \(totals.filtered) left out by the filter" }
            if totals.modified > 0 { summary += "; \(totals.modified) modified (repaired or headers added)" }
            if totals.quarantined > 0 { summary += "; \(totals.quarantined) quarantined" }
            lines.append(summary)
        }
        if let checkpoint { lines.append("Checkpoint: \(checkpoint)") }
        return lines.joined(separator: "\n")
    }

    /// Why a run (or a plan) has nothing to copy: earlier runs copied everything, the filter
    /// left everything out, or there is nothing (an empty source is not "all 0 copied before").
    var nothingToDoText: String {
        let folderCount = Self.count(totals.folders, "folder")
        if totals.skipped == 0 && totals.filtered == 0 {
            return totals.folders == 0 ? "Nothing to do: no folder to copy" : "Nothing to do: no messages in \(folderCount)"
        }
        var parts: [String] = []
        if totals.skipped > 0 {
            parts.append(
                "\(totals.skipped == 1 ? "the 1 message" : "all \(totals.skipped) messages") in \(folderCount) "
                    + "\(totals.skipped == 1 ? "was" : "were") copied before")
        }
        if totals.filtered > 0 { parts.append("\(Self.count(totals.filtered, "message")) left out by the filter") }
        return "Nothing to do: " + parts.joined(separator: "; ")
    }

    /// `1 folder`, `3 folders`.
    public static func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }

    /// `1.2 MB`, `340 KB`, `12 B` (decimal units).
    public static func formatBytes(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return "\(fixed(value / 1e9, places: 2)) GB" }
        if value >= 1e6 { return "\(fixed(value / 1e6, places: 1)) MB" }
        if value >= 1e3 { return "\(fixed(value / 1e3, places: 0)) KB" }
        return "\(bytes) B"
    }

    /// `value` rounded to `places` decimals, as `String(format: "%.Nf")` would print it, without
    /// going through Foundation's locale machinery.
    public static func fixed(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let whole = Int(scaled) / Int(scale)
        var fraction = String(Int(scaled) % Int(scale))
        while fraction.count < places { fraction = "0" + fraction }
        return (value < 0 && scaled > 0 ? "-" : "") + (places > 0 ? "\(whole).\(fraction)" : "\(whole)")
    }
}
