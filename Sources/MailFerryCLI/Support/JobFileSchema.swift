/// What a job file (`mailferry run job.toml`) may say, section by section, and the `copy` option
/// each key stands for: a job file can express everything the command line can, and nothing else.
enum JobFileSchema {
    /// How a key's value becomes command-line arguments.
    enum Kind: Equatable {
        /// A string (or a TOML date) after the option.
        case text
        /// An integer or float after the option.
        case number
        /// `true` gives the flag; `false` nothing.
        case flag
        /// `false` gives the flag (`enabled = false` → `--no-checkpoint`); `true` nothing.
        case negatedFlag
        /// A string after the option (`repair = "always"` → `--repair always`), or the key's
        /// older boolean spelling: `false` gives the flag named here (`--no-repair`), `true` nothing.
        case textOrBoolean(falseFlag: String)
        /// An array of strings: the option once per element.
        case texts
        /// A table `{ "OLD" = "NEW" }`: the option once per entry, as `OLD=NEW`.
        case pairs
        /// The source or destination URL (a positional argument).
        case endpoint
        /// The name of an environment variable holding a password (never the password itself).
        case passwordVariable
    }

    struct Key {
        var name: String
        var kind: Kind
        /// The `copy` option, without dashes.
        var option: String
    }

    static func side(_ prefix: String, dailyLimit: String) -> [Key] {
        [
            Key(name: "url", kind: .endpoint, option: ""),
            Key(name: "profile", kind: .text, option: "\(prefix)-profile"),
            Key(name: "password_env", kind: .passwordVariable, option: ""),
            Key(name: "password_file", kind: .text, option: "\(prefix)-password-file"),
            Key(name: "password_command", kind: .text, option: "\(prefix)-password-command"),
            Key(name: "oauth2_token_file", kind: .text, option: "\(prefix)-oauth2-token-file"),
            Key(name: "oauth2_token_command", kind: .text, option: "\(prefix)-oauth2-token-command"),
            Key(name: "auth", kind: .text, option: "\(prefix)-auth"),
            Key(name: "ca_file", kind: .text, option: "\(prefix)-ca-file"),
            Key(name: "tls_insecure", kind: .flag, option: "\(prefix)-tls-insecure"),
            Key(name: "daily_limit", kind: .text, option: dailyLimit),
        ]
    }

    /// Every section in the order its arguments are written.
    static let sections: [(name: String, keys: [Key])] = [
        ("source", side("source", dailyLimit: "daily-download-limit")),
        ("destination", side("dest", dailyLimit: "daily-upload-limit")),
        (
            "folders",
            [
                Key(name: "include", kind: .texts, option: "folder"),
                Key(name: "exclude", kind: .texts, option: "exclude"),
                Key(name: "to_folder", kind: .text, option: "to-folder"),
                Key(name: "map", kind: .pairs, option: "map"),
                Key(name: "map_regex", kind: .pairs, option: "map-regex"),
                Key(name: "flatten", kind: .text, option: "flatten"),
                Key(name: "prefix", kind: .text, option: "folder-prefix"),
                Key(name: "gmail_labels", kind: .text, option: "gmail-labels"),
                Key(name: "label_priority", kind: .text, option: "label-priority"),
                Key(name: "unlabelled_folder", kind: .text, option: "unlabelled-folder"),
                Key(name: "suffix", kind: .text, option: "folder-suffix"),
            ]
        ),
        (
            "filters",
            [
                Key(name: "since", kind: .text, option: "since"),
                Key(name: "before", kind: .text, option: "before"),
                Key(name: "older_than", kind: .text, option: "older-than"),
                Key(name: "min_size", kind: .text, option: "min-size"),
                Key(name: "max_size", kind: .text, option: "max-size"),
                Key(name: "unseen_only", kind: .flag, option: "unseen-only"),
                Key(name: "seen_only", kind: .flag, option: "seen-only"),
                Key(name: "skip_flagged", kind: .flag, option: "skip-flagged"),
                Key(name: "header_match", kind: .texts, option: "header-match"),
                Key(name: "header_exclude", kind: .texts, option: "header-exclude"),
            ]
        ),
        (
            "transforms",
            [
                Key(name: "remove_headers", kind: .texts, option: "remove-header"),
                Key(name: "add_headers", kind: .texts, option: "add-header"),
                Key(name: "order", kind: .texts, option: "transform-order"),
                Key(name: "repair", kind: .textOrBoolean(falseFlag: "no-repair"), option: "repair"),
            ]
        ),
        (
            "limits",
            [
                Key(name: "max_message_size", kind: .text, option: "max-message-size"),
                Key(name: "max_bytes_per_second", kind: .text, option: "max-bytes-per-second"),
                Key(name: "connections", kind: .number, option: "connections"),
                Key(name: "pipeline_depth", kind: .number, option: "pipeline-depth"),
                Key(name: "compress", kind: .flag, option: "compress"),
                Key(name: "allow_plaintext", kind: .flag, option: "allow-plaintext"),
                Key(name: "response_deadline", kind: .number, option: "response-deadline"),
                Key(name: "minimum_rate", kind: .text, option: "minimum-rate"),
                Key(name: "rate_window", kind: .number, option: "rate-window"),
                Key(name: "stall_timeout", kind: .number, option: "stall-timeout"),
            ]
        ),
        (
            "checkpoint",
            [
                Key(name: "path", kind: .text, option: "checkpoint"),
                Key(name: "enabled", kind: .negatedFlag, option: "no-checkpoint"),
                Key(name: "sync_flags", kind: .flag, option: "sync-flags"),
                Key(name: "dedup", kind: .flag, option: "dedup"),
                Key(name: "retry_failed", kind: .flag, option: "retry-failed"),
                Key(name: "allow_shrink", kind: .flag, option: "allow-shrink"),
            ]
        ),
        (
            "local",
            [
                Key(name: "maildir_layout", kind: .text, option: "maildir-layout"),
                Key(name: "keep_line_endings", kind: .flag, option: "keep-line-endings"),
                Key(name: "mbox_dialect", kind: .text, option: "mbox-dialect"),
                Key(name: "archive_format", kind: .text, option: "archive-format"),
            ]
        ),
        (
            "pop3",
            [
                Key(name: "mark_seen", kind: .flag, option: "mark-seen"),
                Key(name: "delete_after_copy", kind: .flag, option: "delete-after-copy"),
                Key(name: "delete_older_than", kind: .number, option: "delete-older-than"),
            ]
        ),
        (
            "output",
            [
                Key(name: "report", kind: .text, option: "report"),
                Key(name: "json", kind: .flag, option: "json"),
                Key(name: "quiet", kind: .flag, option: "quiet"),
                Key(name: "quarantine", kind: .text, option: "quarantine"),
                Key(name: "trace", kind: .text, option: "trace"),
            ]
        ),
    ]

    /// Keys allowed at the top level besides the sections, and the option each stands for
    /// (`description` is for people only).
    static let topLevel = ["description", "profile"]
}
