import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// GET requests to one API server over one `HTTPClient` (HTTP/1.1 keep-alive, TLS per the
/// connection), with the bearer token read before each request.
struct APIClient: Sendable {
    let http: HTTPClient
    let connection: KubernetesConnection
    /// The largest LIST page accepted (a page of `limit` objects is far smaller).
    var maximumBodyBytes = 512 << 20

    /// An `HTTPClient` for `connection` on `group` (default: AsyncHTTPClient's). `readTimeout` bounds
    /// the silence on a connection (a watch the server should have closed by then is presumed dead).
    static func makeHTTPClient(
        for connection: KubernetesConnection, readTimeout: Duration, group: (any EventLoopGroup)? = nil
    ) throws(KubernetesAPIError) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try tlsConfiguration(for: connection),
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .nanoseconds(Int64(readTimeout.components.seconds) * 1_000_000_000))
        )
        configuration.httpVersion = .http1Only
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        // A refused or failed connection fails the request at once; the informer retries with its backoff.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: group ?? HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    static func tlsConfiguration(for connection: KubernetesConnection) throws(KubernetesAPIError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = connection.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let certificate = connection.clientCertificatePEM, let key = connection.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw .configuration(message: "\(connection.origin): certificate or key is not usable PEM: \(error)")
        }
        if connection.insecureSkipTLSVerify { tls.certificateVerification = .none }
        return tls
    }

    /// `GET path?query` and the whole body, for LIST pages. Non-2xx answers throw `.status` with the
    /// server's Status object.
    func get(_ resource: KubernetesResource, query: [(String, String)]) async throws(KubernetesAPIError) -> ByteBuffer {
        let (request, description) = try makeRequest(resource, query: query)
        do {
            let response = try await http.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: maximumBodyBytes)
            guard (200..<300).contains(Int(response.status.code)) else {
                throw KubernetesAPIError.status(resource: resource.path, request: description, status: Self.status(body, response.status))
            }
            return body
        } catch let error as KubernetesAPIError {
            throw error
        } catch is CancellationError {
            throw .transport(resource: resource.path, request: description, message: "cancelled")
        } catch {
            throw .transport(resource: resource.path, request: description, message: "\(error)")
        }
    }

    /// Starts a watch: the response once its head says 200; the caller reads the chunked body.
    func watch(_ resource: KubernetesResource, query: [(String, String)]) async throws(KubernetesAPIError) -> (HTTPClientResponse, String) {
        let (request, description) = try makeRequest(resource, query: query)
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 1 << 20)
                throw KubernetesAPIError.status(resource: resource.path, request: description, status: Self.status(body, response.status))
            }
            return (response, description)
        } catch let error as KubernetesAPIError {
            throw error
        } catch {
            throw .transport(resource: resource.path, request: description, message: "\(error)")
        }
    }

    func makeRequest(_ resource: KubernetesResource, query: [(String, String)]) throws(KubernetesAPIError) -> (HTTPClientRequest, String) {
        var parameters = query
        if let selector = resource.labelSelector { parameters.append(("labelSelector", selector)) }
        if let selector = resource.fieldSelector { parameters.append(("fieldSelector", selector)) }
        let queryText = parameters.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        let target = resource.path + (queryText.isEmpty ? "" : "?\(queryText)")
        var request = HTTPClientRequest(url: connection.server + target)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "switchyard")
        if let token = try bearerToken(resource: resource.path, request: "GET \(target)") {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return (request, "GET \(target)")
    }

    /// The token for the next request; a token file is read anew each time (kubelet rotates it).
    func bearerToken(resource: String, request: String) throws(KubernetesAPIError) -> String? {
        switch connection.credentials {
        case .none: return nil
        case .token(let token): return token
        case .tokenFile(let path):
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw .transport(resource: resource, request: request, message: "token file \(path) cannot be read")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The Status object in an error answer, or one made from the HTTP status line.
    static func status(_ body: ByteBuffer, _ status: HTTPResponseStatus) -> APIStatus {
        let value = try? JSONParser.parse(body)
        var result = APIStatus(value?["kind"]?.stringValue == "Status" ? value : nil, fallbackCode: Int(status.code))
        if result.message.isEmpty { result.message = status.reasonPhrase }
        return result
    }

    /// Percent-encodes a query component (RFC 3986 unreserved characters pass).
    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
