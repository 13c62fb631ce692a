/// Server text made safe to show: control characters and terminal escape sequences removed,
/// length capped. Greetings, IMAP `[ALERT]`s, NO/BAD and -ERR reasons pass through this before any display.
public enum ServerText {
    public static func sanitize(_ text: String, maximumLength: Int = 500) -> String {
        var result = ""
        var skippingEscape = false
        for scalar in text.unicodeScalars {
            if skippingEscape {
                // CSI sequences end with a byte in @…~; other escapes are one character long.
                if (0x40...0x7e).contains(scalar.value) && scalar != "[" { skippingEscape = false }
                continue
            }
            if scalar.value == 0x1b {
                skippingEscape = true
                continue
            }
            if scalar.value < 0x20 || scalar.value == 0x7f || (0x80...0x9f).contains(scalar.value) {
                result.unicodeScalars.append(" ")
                continue
            }
            result.unicodeScalars.append(scalar)
            if result.unicodeScalars.count >= maximumLength { break }
        }
        return result
    }
}
