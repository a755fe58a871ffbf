import Logging
import NIOHTTP1
import ServiceLifecycle
import SwitchyardLB
import SwitchyardModel
import Synchronization

/// The health-check node ports of `externalTrafficPolicy: Local` services: one HTTP server per
/// `healthCheckNodePort`, in the namespace that is programmed, answering as kube-proxy does — 200
/// with the local endpoint count when there are local endpoints and the proxy is healthy, 503
/// otherwise. Follows the entries the sync loop publishes after each sync; a port that cannot be
/// bound is logged and skipped (the rules still work; only the load balancer's probe fails).
public struct HealthCheckNodePorts: ServiceLifecycle.Service {
    public var entries: AsyncStream<[ServiceHealthCheck]>
    /// The namespace file to bind in (`/var/run/netns/NAME`); nil for the daemon's own.
    public var namespacePath: String?
    public var health: HealthState
    public var logger: Logger

    public init(entries: AsyncStream<[ServiceHealthCheck]>, namespacePath: String?, health: HealthState, logger: Logger) {
        self.entries = entries
        self.namespacePath = namespacePath
        self.health = health
        self.logger = logger
    }

    public func run() async throws {
        let counts = LocalEndpointCounts()
        var servers: [Int: (service: ObjectKey, server: HTTPServer)] = [:]
        for await wanted in entries.cancelOnGracefulShutdown() {
            counts.replace(with: wanted)
            let byPort = Dictionary(wanted.map { ($0.nodePort, $0.service) }, uniquingKeysWith: { first, _ in first })
            for (port, running) in servers.sorted(by: { $0.key < $1.key }) where byPort[port] != running.service {
                await running.server.close()
                servers[port] = nil
                logger.info("closed health-check node port", metadata: ["port": "\(port)", "service": "\(running.service)"])
            }
            for (port, service) in byPort.sorted(by: { $0.key < $1.key }) where servers[port] == nil {
                do {
                    let fd = try await NamespaceListener.listen(port: port, namespacePath: namespacePath)
                    let server = try await HTTPServer.adopt(
                        socket: fd, responder: Self.responder(service: service, counts: counts, health: health))
                    servers[port] = (service, server)
                    logger.info("serving health-check node port", metadata: [
                        "port": "\(port)", "service": "\(service)", "namespace": "\(namespacePath ?? "own")",
                    ])
                } catch {
                    logger.warning("cannot serve a health-check node port; skipping it (load balancers probing it will see this node as down). Free the port or check --netns", metadata: [
                        "port": "\(port)", "service": "\(service)", "error": "\(error)",
                    ])
                }
            }
        }
        for (_, running) in servers { await running.server.close() }
    }

    /// kube-proxy's answer for one service.
    static func responder(service: ObjectKey, counts: LocalEndpointCounts, health: HealthState) -> HTTPRequestResponder {
        { _ in response(service: service, localEndpoints: counts[service], proxyHealthy: health.isHealthy) }
    }

    /// 200 when `localEndpoints` > 0 and the proxy is healthy, else 503; kube-proxy's JSON body.
    public static func response(service: ObjectKey, localEndpoints: Int, proxyHealthy: Bool) -> HTTPResponse {
        let body = "{\n\t\"service\": {\n\t\t\"namespace\": \"\(service.namespace)\",\n\t\t\"name\": \"\(service.name)\"\n\t},\n"
            + "\t\"localEndpoints\": \(localEndpoints),\n\t\"serviceProxyHealthy\": \(proxyHealthy)\n}"
        return HTTPResponse(
            status: localEndpoints != 0 && proxyHealthy ? .ok : .serviceUnavailable,
            headers: HealthEndpoints.jsonHeaders + [("X-Load-Balancing-Endpoint-Weight", String(localEndpoints))],
            body: body)
    }
}

/// Local endpoint counts per service, written after each sync and read by the port handlers.
final class LocalEndpointCounts: Sendable {
    private let counts = Mutex<[ObjectKey: Int]>([:])

    func replace(with entries: [ServiceHealthCheck]) {
        let new = Dictionary(entries.map { ($0.service, $0.localEndpoints) }, uniquingKeysWith: max)
        counts.withLock { $0 = new }
    }

    subscript(service: ObjectKey) -> Int { counts.withLock { $0[service] ?? 0 } }
}
