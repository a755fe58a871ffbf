/// The YAML 1.1 typing of plain (unquoted) scalars, as go-yaml v2 and Yams' default resolver do it.
enum PlainScalar {
    static func value(_ text: String) -> APIValue {
        switch text {
        case "", "~", "null", "Null", "NULL":
            return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
            return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
            return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
            return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF":
            return .double(-.infinity)
        case ".nan", ".NaN", ".NAN":
            return .double(.nan)
        default:
            break
        }
        guard let first = text.utf8.first, isNumberStart(first) else { return .string(text) }
        if let int = integer(text) { return .int(int) }
        if let double = float(text) { return .double(double) }
        return .string(text)
    }

    private static func isNumberStart(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
    }

    /// `[-+]?(0|[1-9][0-9_]*)`, `0x…`, `0o…` or `0…` (octal), `0b…`.
    private static func integer(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let radix: Int
        if body.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0b") {
            radix = 2
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        } else if body.count > 1, body.hasPrefix("0") {
            radix = 8
            body = body.dropFirst()
        } else {
            radix = 10
        }
        let digits = body.filter { $0 != "_" }
        guard !digits.isEmpty, let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?` or `\.[0-9_]+([eE][-+][0-9]+)?`.
    private static func float(_ text: String) -> Double? {
        let allowed = text.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "e")
                || b == UInt8(ascii: "E") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
        }
        guard allowed, text.utf8.contains(where: { $0 >= 48 && $0 <= 57 }) else { return nil }
        return Double(text.filter { $0 != "_" })
    }
}
