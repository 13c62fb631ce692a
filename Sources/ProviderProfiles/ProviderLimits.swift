/// Limits the provider enforces; nil where unknown or absent. Sizes and budgets are in bytes.
public struct ProviderLimits: Sendable, Equatable {
    /// Largest message the server accepts (APPEND) or delivers.
    public var maxMessageSize: Int?
    /// Bytes per day the account may download before the provider suspends access.
    public var dailyDownloadBytes: Int?
    /// Bytes per day the account may upload.
    public var dailyUploadBytes: Int?
    /// Most messages per command or session (RFC 9738 MESSAGELIMIT-style cap).
    public var messageLimit: Int?

    public init(
        maxMessageSize: Int? = nil, dailyDownloadBytes: Int? = nil, dailyUploadBytes: Int? = nil, messageLimit: Int? = nil
    ) {
        self.maxMessageSize = maxMessageSize
        self.dailyDownloadBytes = dailyDownloadBytes
        self.dailyUploadBytes = dailyUploadBytes
        self.messageLimit = messageLimit
    }
}
