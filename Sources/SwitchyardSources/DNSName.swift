/// The API server's name rules (k8s.io/apimachinery/pkg/util/validation). Each check returns the
/// problem as a message, or nil when the name is valid.
enum DNSName {
    /// RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, ≤ 63.
    static func labelProblem(_ name: String) -> String? {
        if name.utf8.count > 63 { return "\"\(name)\" must be no more than 63 characters (DNS-1123 label)" }
        guard isLabel(name) else {
            return "\"\(name)\" is not a valid DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
        }
        return nil
    }

    /// RFC 1123 subdomain: labels joined by '.', ≤ 253 characters.
    static func subdomainProblem(_ name: String) -> String? {
        if name.utf8.count > 253 { return "\"\(name)\" must be no more than 253 characters (DNS-1123 subdomain)" }
        guard isSubdomain(name) else {
            return "\"\(name)\" is not a valid DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit"
        }
        return nil
    }

    /// RFC 1035 label (Service names): like a DNS-1123 label but starting with a letter.
    static func rfc1035LabelProblem(_ name: String) -> String? {
        if name.utf8.count > 63 { return "\"\(name)\" must be no more than 63 characters (DNS-1035 label)" }
        guard isLabel(name), let first = name.utf8.first, isLower(first) else {
            return "\"\(name)\" is not a valid DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
        }
        return nil
    }

    /// IANA_SVC_NAME (RFC 6335), the form of a named `targetPort`: ≤ 15 characters of lowercase
    /// letters, digits and '-', at least one letter, no leading, trailing or double '-'.
    static func serviceNameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.count > 15 { return "\"\(name)\" must be no more than 15 characters (IANA_SVC_NAME)" }
        guard !bytes.isEmpty, bytes.allSatisfy({ isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }) else {
            return "\"\(name)\" is not a valid IANA_SVC_NAME: lowercase letters, digits and '-'"
        }
        guard bytes.contains(where: isLower) else { return "\"\(name)\" must contain at least one letter (IANA_SVC_NAME)" }
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-"), !name.contains("--") else {
            return "\"\(name)\" must not begin or end with '-' or contain '--' (IANA_SVC_NAME)"
        }
        return nil
    }

    private static func isLabel(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isLabel($0[...]) }
    }

    /// Whether `name` is labels joined by '.', each a DNS-1123 label. Scanned in place: it runs for
    /// every endpoint's nodeName of every EndpointSlice a watch delivers (perf, churn at 10,000 ×
    /// 100: splitting into substrings was 1.4% of the daemon's samples).
    private static func isSubdomain(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            var start = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: ".") {
                guard isLabel(bytes[start..<index]) else { return false }
                start = index + 1
            }
            return true
        }
    }

    private static func isLabel(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
        return (isLower(first) || isDigit(first)) && (isLower(last) || isDigit(last))
            && bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLower(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
