/// A request to the API server that did not give what was asked, naming the resource and request.
public enum KubernetesAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered with an error status (403 RBAC, 401, 500, …) and its `Status` object.
    case status(resource: String, request: String, status: APIStatus)
    /// No answer: connection refused, TLS failure, reset, timeout.
    case transport(resource: String, request: String, message: String)
    /// A 2xx answer whose body is not what the API serves (not JSON, not a List).
    case malformed(resource: String, request: String, message: String)
    /// Bad client configuration (unparseable PEM, bad server URL).
    case configuration(message: String)

    /// The HTTP code, for `.status`.
    public var code: Int? {
        if case .status(_, _, let status) = self { return status.code }
        return nil
    }

    public var description: String {
        switch self {
        case .status(let resource, let request, let status):
            "\(resource): \(request): \(status.code) \(status.reason): \(status.message)"
        case .transport(let resource, let request, let message): "\(resource): \(request): \(message)"
        case .malformed(let resource, let request, let message): "\(resource): \(request): malformed answer: \(message)"
        case .configuration(let message): "Kubernetes client configuration: \(message)"
        }
    }
}

/// The API's `Status` object (kind: Status), as sent with error answers and in watch `ERROR` events.
public struct APIStatus: Sendable, Hashable {
    /// HTTP code: 410 for an expired resourceVersion, 403 for RBAC, ….
    public var code: Int
    /// `Expired`, `Gone`, `Forbidden`, … (empty when absent).
    public var reason: String
    public var message: String

    public init(code: Int, reason: String = "", message: String = "") {
        self.code = code
        self.reason = reason
        self.message = message
    }

    /// Reads a `Status` object; `fallbackCode` when it carries no code (or is not a Status).
    init(_ value: APIValue?, fallbackCode: Int) {
        var code = fallbackCode
        if case .int(let number)? = value?["code"] { code = number }
        self.init(code: code, reason: value?["reason"]?.stringValue ?? "", message: value?["message"]?.stringValue ?? "")
    }

    /// The client's resourceVersion is unusable and the informer must list again: 410 Gone / reason
    /// Expired / "too old resource version" (past the server's history), or "Too large resource
    /// version" (504 Timeout: the server is behind the client, as after an etcd restore — client-go's
    /// reflector relists on it too; retrying the same watch would never catch up).
    public var isExpired: Bool {
        code == 410 || reason == "Expired" || reason == "Gone" || message.contains("too old resource version")
            || message.lowercased().contains("too large resource version")
    }
}
