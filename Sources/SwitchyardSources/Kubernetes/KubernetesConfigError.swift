/// A connection configuration that cannot be used, with the file and field at fault.
public enum KubernetesConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kubeconfig (or a file it names) cannot be read.
    case unreadable(path: String)
    /// The kubeconfig is not YAML of the expected shape; `field` is a dotted path such as
    /// `users[admin].client-key-data`.
    case invalid(path: String, field: String, message: String)
    /// `--context NAME` (or current-context) names no context in the file.
    case contextNotFound(path: String, context: String)
    /// No `--context` given and the file has no `current-context`.
    case noCurrentContext(path: String)
    /// In-cluster configuration was asked for outside a pod: the variable or file is missing.
    case notInCluster(missing: String)
    /// The command line asks for two connections, or for none.
    case conflictingFlags(String)

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path): cannot be read"
        case .invalid(let path, let field, let message): "\(path): \(field.isEmpty ? "" : "\(field): ")\(message)"
        case .contextNotFound(let path, let context): "\(path): no context named '\(context)'"
        case .noCurrentContext(let path): "\(path): no current-context; pass --context NAME"
        case .notInCluster(let missing): "not running in a cluster: \(missing) is missing"
        case .conflictingFlags(let message): message
        }
    }
}
