/// The mutable tree the reader builds while it walks the document; it never leaves the module.
/// Each table remembers how it came to exist, because TOML's duplicate rules depend on it.
final class TableNode {
    enum Origin {
        /// Created as an intermediate of a `[a.b.c]` header; may still be defined by its own header.
        case implicit
        /// Defined by its own `[header]`.
        case header
        /// Created by a dotted key (`a.b = 1`); dotted keys may add to it, headers may not define it.
        case dotted
        /// An element of an `[[array of tables]]`.
        case arrayElement
        /// An inline table `{ … }`, complete once written.
        case inline
    }

    enum Item {
        case value(TOMLValue)
        case table(TableNode)
        case tableArray(TableArrayNode)
    }

    struct Slot {
        let key: String
        let keyPosition: SourcePosition
        var item: Item
    }

    var origin: Origin
    var position: SourcePosition
    private(set) var slots: [Slot] = []
    private var index: [String: Int] = [:]

    init(origin: Origin, position: SourcePosition) {
        self.origin = origin
        self.position = position
    }

    func slot(_ key: String) -> Slot? { index[key].map { slots[$0] } }

    func add(_ key: String, at position: SourcePosition, _ item: Item) {
        index[key] = slots.count
        slots.append(Slot(key: key, keyPosition: position, item: item))
    }

    /// The finished, immutable table.
    func freeze() -> TOMLTable {
        TOMLTable(slots.map { TOMLTable.Entry(key: $0.key, keyPosition: $0.keyPosition, value: Self.freeze($0.item)) })
    }

    private static func freeze(_ item: Item) -> TOMLValue {
        switch item {
        case .value(let value): value
        case .table(let node): TOMLValue(.table(node.freeze()), at: node.position)
        case .tableArray(let array):
            TOMLValue(.array(array.elements.map { TOMLValue(.table($0.freeze()), at: $0.position) }), at: array.position)
        }
    }
}

/// An `[[array of tables]]` under construction.
final class TableArrayNode {
    let position: SourcePosition
    var elements: [TableNode] = []

    init(position: SourcePosition) {
        self.position = position
    }
}
