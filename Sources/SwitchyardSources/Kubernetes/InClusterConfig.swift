import Foundation

extension KubernetesConnection {
    /// The service account's directory in every pod.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The connection a pod uses, as client-go's `rest.InClusterConfig`: the server from
    /// `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, the CA bundle `ca.crt` and the token
    /// file `token` of the service account, re-read before every request (kubelet rotates it).
    /// - Parameters:
    ///   - environment: the process environment (tests pass their own).
    ///   - directory: where `token` and `ca.crt` are.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(KubernetesConfigError) -> KubernetesConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw .notInCluster(missing: "KUBERNETES_SERVICE_HOST")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw .notInCluster(missing: "KUBERNETES_SERVICE_PORT")
        }
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else { throw .notInCluster(missing: tokenPath) }
        let caPath = "\(directory)/ca.crt"
        guard let ca = FileManager.default.contents(atPath: caPath) else { throw .notInCluster(missing: caPath) }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(
            server: "https://\(hostPart):\(port)",
            certificateAuthorityPEM: Array(ca),
            credentials: .tokenFile(tokenPath),
            origin: "in-cluster service account (\(directory))"
        )
    }
}

extension KubernetesConnection {
    /// The connection `switchyard run` flags ask for: `--kubeconfig FILE [--context NAME]` or
    /// `--in-cluster` (exactly one of the two).
    public static func resolve(
        kubeconfig: String?, context: String?, inCluster: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KubernetesConfigError) -> KubernetesConnection {
        switch (kubeconfig, inCluster) {
        case (let path?, false):
            return try .kubeconfig(path: path, context: context)
        case (nil, true):
            guard context == nil else { throw .conflictingFlags("--context needs --kubeconfig, not --in-cluster") }
            return try .inCluster(environment: environment)
        case (_?, true):
            throw .conflictingFlags("--kubeconfig and --in-cluster exclude each other")
        case (nil, false):
            throw .conflictingFlags("follow the API with --kubeconfig FILE or --in-cluster")
        }
    }
}
