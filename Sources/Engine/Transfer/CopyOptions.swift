/// How a copy run behaves; every default is stated.
public struct CopyOptions: Sendable {
    /// Folder selection and mapping.
    public var planner = CopyPlanner()
    /// Only plan: list folders, counts and bytes; write nothing.
    public var dryRun = false
    /// Bytes of messages that may wait between sources and sinks, for the whole run (folders
    /// copied at once share it; each gets at least 1 MiB). Default 4 MiB.
    public var bufferBudget = 4 << 20
    /// Most messages handed to the sink at once (one durability point per batch). Default 64.
    public var batchMessages = 64
    /// Most bytes handed to a sink at once, for the whole run (shared like the buffer). Default 2 MiB.
    public var batchBytes = 2 << 20
    /// Most folders copied at once; the stores' own limits apply too. Default 4.
    public var maximumConcurrency = 4

    public init() {}
}
