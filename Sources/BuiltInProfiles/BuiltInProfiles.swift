import ProviderProfiles

/// The profiles compiled into the binary from `profiles/*.toml` by the EmbedProfiles plugin.
public enum BuiltInProfiles {
    /// Every built-in profile, in file-name order.
    public static var all: [ProviderProfile] { generatedProfiles }
}
