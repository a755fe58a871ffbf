import Foundation
import SwitchyardSources
import Testing

/// kubeconfig and in-cluster configuration.
@Suite("Kubernetes connection configuration")
struct ConnectionConfigTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sy-kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static let kubeconfig = """
        apiVersion: v1
        kind: Config
        current-context: kind
        clusters:
        - name: kind
          cluster:
            server: https://127.0.0.1:6443/
            certificate-authority-data: \(Data("CA PEM".utf8).base64EncodedString())
        - name: lab
          cluster:
            server: https://lab.example:6443
            certificate-authority: certs/ca.crt
            insecure-skip-tls-verify: true
        users:
        - name: kind-admin
          user:
            client-certificate-data: \(Data("CERT PEM".utf8).base64EncodedString())
            client-key-data: \(Data("KEY PEM".utf8).base64EncodedString())
        - name: lab-user
          user:
            tokenFile: token
        - name: plain
          user:
            token: abc123
        contexts:
        - name: kind
          context: {cluster: kind, user: kind-admin}
        - name: lab
          context: {cluster: lab, user: lab-user, namespace: kube-system}
        - name: plain
          context: {cluster: kind, user: plain}
        - name: broken
          context: {cluster: nowhere, user: plain}
        """

    @Test("current context: server, CA data and client certificate data")
    func currentContext() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        let connection = try KubernetesConnection.kubeconfig(path: path)
        #expect(connection.server == "https://127.0.0.1:6443")
        #expect(connection.certificateAuthorityPEM == Array("CA PEM".utf8))
        #expect(connection.clientCertificatePEM == Array("CERT PEM".utf8))
        #expect(connection.clientKeyPEM == Array("KEY PEM".utf8))
        #expect(connection.credentials == .none)
        #expect(!connection.insecureSkipTLSVerify)
        #expect(connection.origin.contains("context kind"))
    }

    @Test("named context: files relative to the kubeconfig, tokenFile, insecure-skip-tls-verify")
    func namedContext() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("certs"), withIntermediateDirectories: true)
        try "LAB CA".write(toFile: directory.appendingPathComponent("certs/ca.crt").path, atomically: true, encoding: .utf8)
        let lab = try KubernetesConnection.kubeconfig(path: path, context: "lab")
        #expect(lab.server == "https://lab.example:6443")
        #expect(lab.certificateAuthorityPEM == Array("LAB CA".utf8))
        #expect(lab.insecureSkipTLSVerify)
        #expect(lab.credentials == .tokenFile(directory.appendingPathComponent("token").path))
        #expect(try KubernetesConnection.kubeconfig(path: path, context: "plain").credentials == .token("abc123"))
    }

    @Test("errors name the file and what is wrong")
    func errors() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KubernetesConfigError.contextNotFound(path: path, context: "nope")) {
            try KubernetesConnection.kubeconfig(path: path, context: "nope")
        }
        #expect(throws: KubernetesConfigError.invalid(path: path, field: "contexts[broken].context.cluster", message: "names no cluster 'nowhere'")) {
            try KubernetesConnection.kubeconfig(path: path, context: "broken")
        }
        #expect(throws: KubernetesConfigError.unreadable(path: path + ".missing")) {
            try KubernetesConnection.kubeconfig(path: path + ".missing")
        }
        try "apiVersion: v1\nkind: Config\nclusters: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KubernetesConfigError.noCurrentContext(path: path)) { try KubernetesConnection.kubeconfig(path: path) }
    }

    @Test("in-cluster: service host and port, the service account's CA and token file")
    func inCluster() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SA CA".write(toFile: directory.appendingPathComponent("ca.crt").path, atomically: true, encoding: .utf8)
        try "sa-token".write(toFile: directory.appendingPathComponent("token").path, atomically: true, encoding: .utf8)
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let connection = try KubernetesConnection.inCluster(environment: environment, directory: directory.path)
        #expect(connection.server == "https://10.96.0.1:443")
        #expect(connection.certificateAuthorityPEM == Array("SA CA".utf8))
        #expect(connection.credentials == .tokenFile(directory.appendingPathComponent("token").path))
        let v6 = try KubernetesConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: directory.path)
        #expect(v6.server == "https://[fd00::1]:443")
        #expect(throws: KubernetesConfigError.notInCluster(missing: "KUBERNETES_SERVICE_HOST")) {
            try KubernetesConnection.inCluster(environment: [:], directory: directory.path)
        }
    }

    @Test("the run command's flags: exactly one of --kubeconfig and --in-cluster")
    func flags() throws {
        #expect(throws: KubernetesConfigError.conflictingFlags("--kubeconfig and --in-cluster exclude each other")) {
            try KubernetesConnection.resolve(kubeconfig: "/x", context: nil, inCluster: true)
        }
        #expect(throws: KubernetesConfigError.conflictingFlags("follow the API with --kubeconfig FILE or --in-cluster")) {
            try KubernetesConnection.resolve(kubeconfig: nil, context: nil, inCluster: false)
        }
        #expect(throws: KubernetesConfigError.notInCluster(missing: "KUBERNETES_SERVICE_HOST")) {
            try KubernetesConnection.resolve(kubeconfig: nil, context: nil, inCluster: true, environment: [:])
        }
    }
}
