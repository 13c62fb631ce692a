import ArgumentParser
import Engine
import Foundation

/// Which messages `copy` takes: by arrival date, size and flags. From an IMAP source they go to
/// the server as `UID SEARCH`, so messages left out are not downloaded.
struct FilterOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Only messages that arrived on or after this date (YYYY-MM-DD, UTC).", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("Only messages that arrived before this date (YYYY-MM-DD, UTC).", valueName: "date"))
    var before: String?

    @Option(help: ArgumentHelp("Only messages that arrived more than AGE ago: 30d, 8w, 6m, 1y.", valueName: "age"))
    var olderThan: String?

    @Option(help: ArgumentHelp("Only messages of at least this size: 1000, 64K, 20M, 1G (K = 1024).", valueName: "size"))
    var minSize: String?

    @Option(help: ArgumentHelp("Only messages of at most this size: 1000, 64K, 20M, 1G (K = 1024).", valueName: "size"))
    var maxSize: String?

    @ArgumentParser.Flag(help: "Only messages not marked read.")
    var unseenOnly = false

    @ArgumentParser.Flag(help: "Only messages marked read.")
    var seenOnly = false

    @ArgumentParser.Flag(help: "Leave out flagged messages.")
    var skipFlagged = false

    @Option(help: ArgumentHelp("Only messages whose header field matches: 'From:*@example.com' (* and ?, any case; repeatable, all must match).", valueName: "field:glob"))
    var headerMatch: [String] = []

    @Option(help: ArgumentHelp("Leave out messages whose header field matches: 'List-Id:*' (repeatable).", valueName: "field:glob"))
    var headerExclude: [String] = []

    func validate() throws {
        if let since, ArchiveSchedule.date(since) == nil { throw ValidationError("--since \"\(since)\" is not a date (YYYY-MM-DD)") }
        if let before, ArchiveSchedule.date(before) == nil { throw ValidationError("--before \"\(before)\" is not a date (YYYY-MM-DD)") }
        if before != nil && olderThan != nil { throw ValidationError("--before and --older-than both set the cutoff: give one") }
        if let olderThan, ArchiveSchedule.age(olderThan) == nil {
            throw ValidationError("--older-than \"\(olderThan)\" is not an age (examples: 30d, 8w, 6m, 1y)")
        }
        for (name, value) in [("--min-size", minSize), ("--max-size", maxSize)] {
            if let value, Self.size(value) == nil { throw ValidationError("\(name) \"\(value)\" is not a size (examples: 1000, 64K, 20M)") }
        }
        if unseenOnly && seenOnly { throw ValidationError("--unseen-only and --seen-only exclude each other") }
        for rule in headerMatch + headerExclude where HeaderRule(rule, excludes: false) == nil {
            throw ValidationError("\"\(rule)\" is not FIELD:GLOB (example: 'From:*@example.com')")
        }
    }

    /// The filter, or `nil` when no option asks for one.
    func filter(now: Date) -> MessageFilter? {
        var filter = MessageFilter()
        filter.since = since.flatMap(ArchiveSchedule.date)
        filter.before = before.flatMap(ArchiveSchedule.date)
            ?? olderThan.flatMap(ArchiveSchedule.age).map { ArchiveSchedule.subtract($0, from: now) }
        filter.minimumSize = minSize.flatMap(Self.size)
        filter.maximumSize = maxSize.flatMap(Self.size)
        filter.skipSeen = unseenOnly
        filter.skipUnread = seenOnly
        filter.skipFlagged = skipFlagged
        filter.headerRules = headerMatch.compactMap { HeaderRule($0, excludes: false) } + headerExclude.compactMap { HeaderRule($0, excludes: true) }
        return filter.isActive ? filter : nil
    }

    /// `1000`, `64K`, `20M`, `1G` (binary multiples, as providers state their limits).
    static func size(_ text: String) -> Int? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        var multiplier = 1
        if let last = digits.last, let power = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30][String(last)] {
            multiplier = power
            digits.removeLast()
        }
        guard let value = Int(digits), value >= 0, value <= Int.max / multiplier else { return nil }
        return value * multiplier
    }
}
