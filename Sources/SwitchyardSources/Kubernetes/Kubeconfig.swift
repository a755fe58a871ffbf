import Foundation
import Yams

extension KubernetesConnection {
    /// Reads a kubeconfig file (as `kubectl` does, one file) and resolves `context`, or the file's
    /// `current-context` when nil: the cluster's `server`, `certificate-authority(-data)`,
    /// `insecure-skip-tls-verify`, and the user's `client-certificate(-data)`, `client-key(-data)`,
    /// `token` and `tokenFile`. Relative file paths are relative to the kubeconfig's directory.
    /// Exec and auth-provider plugins are not supported (they are reported as invalid).
    public static func kubeconfig(path: String, context: String? = nil) throws(KubernetesConfigError) -> KubernetesConnection {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path)
        }
        return try Kubeconfig(path: path, text: text).connection(context: context)
    }
}

/// The parsed kubeconfig: its named clusters, users and contexts.
struct Kubeconfig {
    let path: String
    let root: [String: Any]

    init(path: String, text: String) throws(KubernetesConfigError) {
        self.path = path
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw .invalid(path: path, field: "", message: "is not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            throw .invalid(path: path, field: "", message: "must be a mapping (apiVersion: v1, kind: Config)")
        }
        self.root = root
    }

    /// `clusters`, `users` or `contexts`: the entry named `name`, its inner mapping (`cluster`, …).
    func entry(_ list: String, _ inner: String, named name: String) throws(KubernetesConfigError) -> [String: Any]? {
        guard let items = root[list] else { return nil }
        guard let entries = items as? [Any] else { throw .invalid(path: path, field: list, message: "must be a list") }
        for item in entries {
            guard let mapping = item as? [String: Any], let entryName = mapping["name"] as? String else { continue }
            if entryName == name {
                guard let value = mapping[inner] as? [String: Any] else {
                    throw .invalid(path: path, field: "\(list)[\(name)].\(inner)", message: "must be a mapping")
                }
                return value
            }
        }
        return nil
    }

    func connection(context requested: String?) throws(KubernetesConfigError) -> KubernetesConnection {
        let contextName: String
        if let requested {
            contextName = requested
        } else if let current = root["current-context"] as? String, !current.isEmpty {
            contextName = current
        } else {
            throw .noCurrentContext(path: path)
        }
        guard let context = try entry("contexts", "context", named: contextName) else {
            throw .contextNotFound(path: path, context: contextName)
        }
        guard let clusterName = context["cluster"] as? String else {
            throw .invalid(path: path, field: "contexts[\(contextName)].context.cluster", message: "is required")
        }
        guard let cluster = try entry("clusters", "cluster", named: clusterName) else {
            throw .invalid(path: path, field: "contexts[\(contextName)].context.cluster", message: "names no cluster '\(clusterName)'")
        }
        let clusterField = "clusters[\(clusterName)].cluster"
        guard let server = cluster["server"] as? String, !server.isEmpty else {
            throw .invalid(path: path, field: "\(clusterField).server", message: "is required")
        }
        var connection = KubernetesConnection(server: server, origin: "kubeconfig \(path) (context \(contextName))")
        connection.certificateAuthorityPEM = try material(cluster, "certificate-authority", clusterField)
        connection.insecureSkipTLSVerify = try bool(cluster, "insecure-skip-tls-verify", clusterField)

        if let userName = context["user"] as? String, !userName.isEmpty {
            guard let user = try entry("users", "user", named: userName) else {
                throw .invalid(path: path, field: "contexts[\(contextName)].context.user", message: "names no user '\(userName)'")
            }
            let userField = "users[\(userName)].user"
            for unsupported in ["exec", "auth-provider", "username", "password"] where user[unsupported] != nil {
                throw .invalid(path: path, field: "\(userField).\(unsupported)",
                               message: "is not supported; use a token, tokenFile or client certificate")
            }
            connection.clientCertificatePEM = try material(user, "client-certificate", userField)
            connection.clientKeyPEM = try material(user, "client-key", userField)
            if (connection.clientCertificatePEM == nil) != (connection.clientKeyPEM == nil) {
                throw .invalid(path: path, field: userField, message: "client-certificate and client-key go together")
            }
            if let token = user["token"] as? String, !token.isEmpty {
                connection.credentials = .token(token)
            } else if let tokenFile = user["tokenFile"] as? String, !tokenFile.isEmpty {
                connection.credentials = .tokenFile(resolve(tokenFile))
            }
        }
        return connection
    }

    /// `NAME-data` (base64) or `NAME` (a file path), as bytes.
    func material(_ mapping: [String: Any], _ name: String, _ field: String) throws(KubernetesConfigError) -> [UInt8]? {
        if let encoded = mapping["\(name)-data"] as? String, !encoded.isEmpty {
            guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters) else {
                throw .invalid(path: path, field: "\(field).\(name)-data", message: "is not base64")
            }
            return Array(data)
        }
        if let file = mapping[name] as? String, !file.isEmpty {
            let resolved = resolve(file)
            guard let data = FileManager.default.contents(atPath: resolved) else { throw .unreadable(path: resolved) }
            return Array(data)
        }
        return nil
    }

    func bool(_ mapping: [String: Any], _ name: String, _ field: String) throws(KubernetesConfigError) -> Bool {
        guard let value = mapping[name] else { return false }
        if let flag = value as? Bool { return flag }
        if let text = value as? String, let flag = Bool(text) { return flag }
        throw .invalid(path: path, field: "\(field).\(name)", message: "must be true or false")
    }

    func resolve(_ file: String) -> String {
        if file.hasPrefix("/") { return file }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? file : "\(directory)/\(file)"
    }
}
