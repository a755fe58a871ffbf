/// Zone-file presentation of records (`web.default.svc.cluster.local. 30 IN A 10.96.0.20`), as dig
/// prints them with single spaces. Tests compare against this text.
extension RData: CustomStringConvertible {
    public var description: String {
        switch self {
        case .a(let a): a.description
        case .aaaa(let a): a.description
        case .cname(let n), .ptr(let n), .ns(let n): n.description
        case .srv(let priority, let weight, let port, let target): "\(priority) \(weight) \(port) \(target)"
        case .txt(let strings):
            strings.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: " ")
        case .soa(let s):
            "\(s.mname) \(s.rname) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .unknown(_, let raw):
            "\\# \(raw.count) " + raw.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }
}

extension ResourceRecord: CustomStringConvertible {
    public var description: String { "\(name) \(ttl) \(recordClass) \(type) \(data)" }
}
