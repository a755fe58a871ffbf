/// Hand-written JSON output (log lines, benchmark reports) shares one way of quoting text, so the
/// two writers cannot drift apart.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included: `"` and `\` are escaped, `\n`, `\r` and `\t`
    /// get their short escapes, other control characters below U+0020 become `\u00XX`; everything
    /// else (non-ASCII included) is written as is, in UTF-8.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
