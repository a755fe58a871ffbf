import SwitchyardModel

/// Typed access to an `APIValue` tree that records a problem, with its field path, for every value of
/// the wrong type. Missing and `null` values read as nil without a problem (the API's "omitted").
/// Paths are made only for a problem: a 100-endpoint EndpointSlice's conversion built ~1,200 path
/// strings per watch event (~1% of the daemon's samples under churn at 10,000 x 100).
struct FieldReader {
    var log = ProblemLog()

    mutating func mapping(_ value: APIValue?, _ path: @autoclosure () -> String) -> APIValue? {
        switch value {
        case nil, .null?: return nil
        case .object?: return value
        case let other?:
            log.add(path(), "must be a mapping, not \(other.typeDescription)")
            return nil
        }
    }

    mutating func list(_ value: APIValue?, _ path: @autoclosure () -> String) -> [APIValue] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items
        case let other?:
            log.add(path(), "must be a list, not \(other.typeDescription)")
            return []
        }
    }

    mutating func string(_ value: APIValue?, _ path: @autoclosure () -> String) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?:
            log.add(path(), "must be a string, not \(other.typeDescription)\(Self.show(other))")
            return nil
        }
    }

    mutating func int(_ value: APIValue?, _ path: @autoclosure () -> String) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case let other?:
            log.add(path(), "must be an integer, not \(other.typeDescription)\(Self.show(other))")
            return nil
        }
    }

    mutating func bool(_ value: APIValue?, _ path: @autoclosure () -> String) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?:
            log.add(path(), "must be a boolean, not \(other.typeDescription)\(Self.show(other))")
            return nil
        }
    }

    /// An `IntOrString` such as `targetPort`.
    mutating func portReference(_ value: APIValue?, _ path: @autoclosure () -> String) -> PortReference? {
        switch value {
        case nil, .null?: return nil
        case .int(let i)?: return .number(i)
        case .string(let s)?: return .name(s)
        case let other?:
            log.add(path(), "must be an integer or a string, not \(other.typeDescription)")
            return nil
        }
    }

    mutating func strings(_ value: APIValue?, _ path: @autoclosure () -> String) -> [String] {
        list(value, path()).enumerated().compactMap { index, item in string(item, "\(path())[\(index)]") }
    }

    /// A `map[string]string` such as labels or annotations.
    mutating func stringMap(_ value: APIValue?, _ path: @autoclosure () -> String) -> [String: String] {
        guard case .object(let pairs)? = mapping(value, path()) else { return [:] }
        var result: [String: String] = [:]
        for (key, item) in pairs {
            if let s = string(item, "\(path())[\"\(key)\"]") { result[key] = s }
        }
        return result
    }

    /// A string that must be one of `E`'s raw values.
    mutating func enumValue<E: RawRepresentable>(
        _ value: APIValue?, _ path: @autoclosure () -> String, _ type: E.Type, allowed: [E]
    ) -> E? where E.RawValue == String {
        guard let text = string(value, path()) else { return nil }
        if let result = E(rawValue: text), allowed.contains(where: { $0.rawValue == text }) { return result }
        let supported = allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        log.add(path(), "unsupported value \"\(text)\": supported values: \(supported)")
        return nil
    }

    /// An IP address field, read as kube-proxy reads it (IPv4 leading zeros as decimal: objects
    /// stored before Kubernetes 1.22 carry them, and one such Service must not stop the node).
    mutating func ip(_ value: APIValue?, _ path: @autoclosure () -> String) -> IPAddress? {
        guard let text = string(value, path()) else { return nil }
        guard let ip = IPAddress(sloppy: text) else {
            log.add(path(), "\"\(text)\" is not a valid IP address")
            return nil
        }
        return ip
    }

    mutating func ips(_ value: APIValue?, _ path: @autoclosure () -> String) -> [IPAddress] {
        list(value, path()).enumerated().compactMap { index, item in ip(item, "\(path())[\(index)]") }
    }

    mutating func cidr(_ value: APIValue?, _ path: @autoclosure () -> String) -> CIDR? {
        guard let text = string(value, path()) else { return nil }
        guard let cidr = CIDR(text.trimmingSpaces) else {
            log.add(path(), "\"\(text)\" is not a valid CIDR (expected ADDRESS/PREFIX-LENGTH, e.g. 10.0.0.0/8)")
            return nil
        }
        return cidr
    }

    mutating func cidrs(_ value: APIValue?, _ path: @autoclosure () -> String) -> [CIDR] {
        list(value, path()).enumerated().compactMap { index, item in cidr(item, "\(path())[\(index)]") }
    }

    private static func show(_ value: APIValue) -> String {
        switch value {
        case .int(let i): " (\(i))"
        case .double(let d): " (\(d))"
        case .bool(let b): " (\(b))"
        case .string(let s): " (\"\(s)\")"
        default: ""
        }
    }
}

extension String {
    /// Without leading and trailing spaces (the API trims source ranges).
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
