/// Where the API server is and how to authenticate to it: the part of a kubeconfig (or of the
/// in-cluster service account) that Switchyard uses. A value; nothing is read or opened until a
/// `KubernetesSource` runs.
///
/// ```swift
/// let connection = try KubernetesConnection.kubeconfig(path: "/etc/kubernetes/admin.conf", context: nil)
/// let connection = try KubernetesConnection.inCluster()
/// ```
public struct KubernetesConnection: Sendable, Hashable {
    /// The API server's base URL, `https://10.96.0.1:443` (no trailing slash).
    public var server: String
    /// PEM bundle of the certificate authorities that sign the server's certificate; nil uses the
    /// system's trust store.
    public var certificateAuthorityPEM: [UInt8]?
    /// PEM client certificate (chain) for mutual TLS, with `clientKeyPEM`.
    public var clientCertificatePEM: [UInt8]?
    /// PEM private key of `clientCertificatePEM`.
    public var clientKeyPEM: [UInt8]?
    /// Do not verify the server's certificate (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// The bearer token, if any.
    public var credentials: KubernetesCredentials
    /// Where this connection came from, for messages: `kubeconfig /root/.kube/config (context kind)`.
    public var origin: String

    public init(
        server: String,
        certificateAuthorityPEM: [UInt8]? = nil,
        clientCertificatePEM: [UInt8]? = nil,
        clientKeyPEM: [UInt8]? = nil,
        insecureSkipTLSVerify: Bool = false,
        credentials: KubernetesCredentials = .none,
        origin: String = "configuration"
    ) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.credentials = credentials
        self.origin = origin
    }

    /// Whether requests go over TLS (`https://`).
    public var usesTLS: Bool { server.lowercased().hasPrefix("https://") }
}

/// How requests authenticate, besides a client certificate.
public enum KubernetesCredentials: Sendable, Hashable {
    /// No `Authorization` header (client certificate only, or an insecure test server).
    case none
    /// A fixed bearer token (kubeconfig `token`).
    case token(String)
    /// A bearer token read from a file before every request, so a rotated token (the projected
    /// service-account token, kubeconfig `tokenFile`) is used from the next request on.
    case tokenFile(String)
}
