import Foundation
import MailCore
import Synchronization
import Testing

@testable import Stores

/// A ledger kept in memory, as the checkpoint keeps it.
final class MemoryBudgetStore: TransferBudgetStore {
    let usage = Mutex<[String: TransferBudgetUsage]>([:])
    func budgetUsage(side: String) async throws -> TransferBudgetUsage? { usage.withLock { $0[side] } }
    func recordBudgetUsage(_ value: TransferBudgetUsage?, side: String) async throws { usage.withLock { $0[side] = value } }
}

@Suite("Daily transfer budgets")
struct TransferBudgetTests {
    static func budget(limit: Int, earlier: Int?, store: MemoryBudgetStore = MemoryBudgetStore()) -> TransferBudget {
        if let earlier { store.usage.withLock { $0["source"] = TransferBudgetUsage(windowStart: Date(), bytes: earlier) } }
        let ledger = TransferBudgetLedger()
        ledger.attach(store)
        return TransferBudget(limit: limit, window: 3600, side: "source", ledger: ledger)
    }

    @Test("a budget an earlier run used up pauses every folder that starts at once, and nothing more is admitted")
    func usedUpEarlier() async {
        let budget = Self.budget(limit: 1000, earlier: 1000)
        let results = await withTaskGroup(of: TransferBudget.Pause?.self) { group in
            for _ in 0..<4 { group.addTask { await budget.carryOver().pause } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.compactMap { $0 }.count == 1)  // one announcement; the window is loaded for all
        #expect(await budget.reserve(10) != nil)
    }

    @Test("what an earlier run used counts: the budget is crossed sooner, once, and the ledger keeps the day's bytes")
    func carriesOn() async {
        let store = MemoryBudgetStore()
        let budget = Self.budget(limit: 1000, earlier: 600, store: store)
        #expect(await budget.count(300) == nil)
        #expect(await budget.count(200) != nil)  // 1,100 of 1,000
        #expect(await budget.count(50) == nil)  // in flight: counted, no second pause
        #expect(store.usage.withLock { $0["source"]?.bytes } == 1150)
    }
}
