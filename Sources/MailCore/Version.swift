/// MailFerry's version, shown by `--version` and written into every report.
public enum MailFerryVersion {
    public static let current = "0.3.0"
}
