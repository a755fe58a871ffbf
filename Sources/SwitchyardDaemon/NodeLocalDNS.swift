import Logging
import NIOCore
import NIOPosix
import SwitchyardDNS
import SwitchyardLB
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Node-local DNS on the kube-dns ClusterIP (`--dns-cluster-ip-service`): holds transparent UDP and
/// TCP sockets bound to that Service's ClusterIPs on port 53, in the programmed namespace, served by
/// the DNS server. The ruleset delivers pods' queries to them while they exist (`socket transparent`
/// and a policy route) and to the Service's endpoints otherwise, so a daemon that is not running
/// costs a fallback, not an outage. A restarting daemon takes the sockets over (``SocketHandover``)
/// from the one it replaces, so no query is lost. An overloaded server (its queries waiting to be read)
/// withdraws its sockets from the rules until it recovers, so new queries go to the endpoints.
final class NodeLocalDNS: Sendable {
    private struct Held {
        var fd: Int32
        var served: ServedSocket
    }

    private let settings: DNSSettings.NodeLocal
    private let server: DNSServer
    private let logger: Logger
    private let wanted: AsyncStream<[IPAddress]>
    private let wantedInput: AsyncStream<[IPAddress]>.Continuation
    /// The last addresses passed to ``serve(_:)``, to yield only changes.
    private let lastWanted = Mutex<[IPAddress]?>(nil)
    /// Sockets served now, by address and transport.
    private let held = Mutex<[ListeningSocket: Held]>([:])
    /// Whether the sockets are withdrawn for overload.
    private let overload = Mutex(OverloadGuard())

    init(settings: DNSSettings.NodeLocal, server: DNSServer, logger: Logger) {
        self.settings = settings
        self.server = server
        self.logger = logger
        (wanted, wantedInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The Service whose ClusterIPs are served.
    var service: ObjectKey { settings.service }

    /// Serves `addresses` (the Service's ClusterIPs) from now on; cheap when they did not change.
    func serve(_ addresses: [IPAddress]) {
        let sorted = addresses.sorted()
        let changed = lastWanted.withLock { last in
            defer { last = sorted }
            return last != sorted
        }
        if changed { wantedInput.yield(sorted) }
    }

    /// The UDP and TCP sockets of one address.
    static func sockets(_ address: String) -> (udp: ListeningSocket, tcp: ListeningSocket) {
        let port = ProxyConfig.LocalDNSDelivery.port
        return (ListeningSocket(.udp, address: address, port: port), ListeningSocket(.tcp, address: address, port: port))
    }

    /// Takes over the previous daemon's sockets, then follows the wanted addresses and answers
    /// hand-over requests until cancelled; then stops serving (the sockets close unless a newer
    /// daemon has taken them).
    func run() async {
        var spare: [ListeningSocket: Int32] = [:]
        if let path = settings.handoverPath {
            for handed in SocketHandover.take(from: path) { spare[handed.socket] = handed.fd }
            if !spare.isEmpty {
                logger.info("took over the node-local DNS sockets of the previous process", metadata: [
                    "from": "\(path)", "sockets": "\(spare.keys.map(\.description).sorted().joined(separator: " "))",
                ])
            }
        }
        var handover: SocketHandover.Server?
        if let path = settings.handoverPath {
            do {
                handover = try SocketHandover.Server(path: path)
            } catch {
                logger.warning("node-local DNS sockets cannot be handed over to the next process; a restart may lose the queries in flight",
                               metadata: ["error": "\(error)"])
            }
        }
        await withTaskGroup(of: Void.self) { group in
            if let handover {
                group.addTask { [self] in
                    while !Task.isCancelled {
                        if let request = handover.pendingRequest() { await handOver(to: request) }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            group.addTask { [self] in await watchLoad() }
            for await addresses in wanted {
                spare = await reconcile(Set(addresses.flatMap { address in
                    let (udp, tcp) = Self.sockets("\(address)")
                    return [udp, tcp]
                }), spare: spare)
            }
            group.cancelAll()
        }
        for fd in spare.values { close(fd) }
        await drain()
    }

    /// How long a stopping daemon keeps reading its withdrawn sockets.
    static let drainTime = TimeAmount.milliseconds(300)

    /// Stops serving: the sockets are withdrawn from the rules (new flows go to the Service's
    /// endpoints from then on), the conntrack entries of the flows answered here are deleted (a
    /// client that keeps its UDP socket, one source port, starts over at the endpoints with its next
    /// query), and the queries already queued are answered for ``drainTime`` before the sockets close.
    private func drain() async {
        let all = held.withLock { held in
            defer { held = [:] }
            return held
        }
        guard !all.isEmpty else { return }
        for (socket, entry) in all { socket.withdraw(entry.fd) }
        let filters = all.keys.filter { $0.transport == .udp }.compactMap { socket in
            IPAddress(socket.address).map { ConntrackFilter(destination: $0.bytes, port: socket.port, protocol: 17, replySource: $0.bytes) }
        }
        let namespace = settings.namespace
        var deleted = 0
        do {
            // A future, not the async form: that one gives up at once in a cancelled task.
            deleted = try await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.next()) {
                try NetfilterSocket(namespace: namespace).deleteConntrack(matchingAny: filters)
            }.get()
        } catch {
            logger.warning("could not delete the conntrack entries of local DNS flows; clients that keep their socket wait for them to expire",
                           metadata: ["error": "\(error)"])
        }
        // Not Task.sleep: the task is already cancelled.
        try? await MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: Self.drainTime) {}.futureResult.get()
        await server.detach(all.values.map(\.served))
        logger.info("node-local DNS stopped; queries go to the Service's endpoints until the next process serves them", metadata: [
            "sockets": "\(all.keys.map(\.description).sorted().joined(separator: " "))", "conntrack_deleted": "\(deleted)",
        ])
    }

    /// Samples how long queries wait to be read (the longest over the held sockets) every 100 ms
    /// and withdraws the sockets from the rules while it says overloaded (``OverloadGuard``);
    /// sockets attached meanwhile follow.
    private func watchLoad() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let served = held.withLock { $0.values.map(\.served) }
            guard !served.isEmpty else { continue }
            var delay = Duration.zero
            for socket in served { delay = max(delay, await socket.lag()) }
            guard let change = overload.withLock({ $0.sample(delay) }) else { continue }
            let sockets = held.withLock { $0 }
            for (socket, entry) in sockets {
                if change == .withdraw { socket.withdraw(entry.fd) } else { socket.restore(entry.fd) }
            }
            if change == .withdraw {
                logger.warning("node-local DNS overloaded: new queries go to \(settings.service)'s endpoints until it recovers",
                               metadata: ["query_delay": "\(delay)"])
            } else {
                logger.notice("node-local DNS recovered: serving \(settings.service)'s queries on this node again")
            }
        }
    }

    /// Gives every held socket to the process asking: reading stops here first (one reader at a
    /// time; datagrams arriving meanwhile wait in the socket), then the descriptors are sent and this
    /// process lets go of them. If the other process does not get them, reading resumes.
    private func handOver(to request: SocketHandover.Request) async {
        let handed = held.withLock { $0 }
        let served = handed.values.map(\.served)
        for socket in served { await socket.pause() }
        guard request.send(handed.map { SocketHandover.Handed($0.key, fd: $0.value.fd) }) else {
            for socket in served { await socket.resume() }
            logger.warning("a new process asked for the node-local DNS sockets but did not take them; serving them on")
            return
        }
        held.withLock { held in
            for socket in handed.keys { held[socket] = nil }
        }
        await server.detach(served)
        logger.info("handed the node-local DNS sockets to a new process; it serves them now", metadata: [
            "sockets": "\(handed.keys.map(\.description).sorted().joined(separator: " "))",
        ])
    }

    /// Serves exactly `wanted`: new sockets come from `spare` (handed over) or are opened in the
    /// namespace; sockets no longer wanted are closed. Returns the spare sockets left.
    private func reconcile(_ wanted: Set<ListeningSocket>, spare: [ListeningSocket: Int32]) async -> [ListeningSocket: Int32] {
        var spare = spare
        let current = Set(held.withLock { $0.keys })
        let gone = held.withLock { held in current.subtracting(wanted).compactMap { held.removeValue(forKey: $0) } }
        await server.detach(gone.map(\.served))
        // UDP and TCP of one address are attached together.
        let addresses = Set(wanted.subtracting(current).map(\.address))
        for address in addresses.sorted() {
            let (udp, tcp) = Self.sockets(address)
            do {
                let udpFD = try await take(udp, from: &spare)
                let tcpFD: Int32
                do {
                    tcpFD = try await take(tcp, from: &spare)
                } catch {
                    close(udpFD)
                    throw error
                }
                // A handed-over socket may come withdrawn (its process was overloaded): set it as this one is.
                for (socket, fd) in [(udp, udpFD), (tcp, tcpFD)] {
                    if overload.withLock({ $0.isWithdrawn }) { socket.withdraw(fd) } else { socket.restore(fd) }
                }
                let served = try await server.attach(udp: udpFD, tcp: tcpFD, describing: "\(address):53")
                held.withLock {
                    $0[udp] = Held(fd: udpFD, served: served[0])
                    $0[tcp] = Held(fd: tcpFD, served: served[1])
                }
                logger.info("node-local DNS serving \(settings.service)", metadata: ["udp+tcp": "\(address):53", "namespace": "\(settings.namespace)"])
            } catch {
                logger.error("node-local DNS cannot serve \(settings.service) at \(address):53; queries go to its endpoints",
                             metadata: ["error": "\(error)"])
            }
        }
        if !gone.isEmpty {
            logger.info("node-local DNS stopped serving addresses \(settings.service) no longer has", metadata: [
                "sockets": "\(current.subtracting(wanted).map(\.description).sorted().joined(separator: " "))",
            ])
        }
        // Handed-over sockets the cluster no longer wants.
        for (socket, fd) in spare where !wanted.contains(socket) {
            close(fd)
            spare[socket] = nil
        }
        return spare
    }

    /// The handed-over socket, or a new one.
    private func take(_ socket: ListeningSocket, from spare: inout [ListeningSocket: Int32]) async throws -> Int32 {
        if let fd = spare.removeValue(forKey: socket) { return fd }
        return try await open(socket)
    }

    /// Opens a transparent socket in the namespace, on a thread-pool thread (`setns` changes the
    /// whole thread).
    private func open(_ socket: ListeningSocket) async throws -> Int32 {
        let namespace = settings.namespace
        return try await NIOThreadPool.singleton.runIfActive { try socket.open(in: namespace) }
    }
}
