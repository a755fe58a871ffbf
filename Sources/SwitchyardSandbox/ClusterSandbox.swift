import Foundation
import Synchronization
import SwitchyardModel
import SwitchyardSystem

/// Network namespaces that look like one Kubernetes node with its pods, carrying real TCP and UDP
/// traffic: a node namespace (where Switchyard programs its rules), a client namespace outside the
/// node, and one namespace per pod running an echo server that answers with the pod's name and the
/// source address it saw. See `SandboxLayout` for the topology.
///
/// Nothing outside the `sy-<tag>-…` namespaces is touched. `teardown()` (or `with(_:echoServer:_:)`)
/// removes them and ends every process inside; `create` first removes what an earlier run with the
/// same tag left behind.
public final class ClusterSandbox: Sendable {
    public let configuration: SandboxConfiguration
    public let layout: SandboxLayout
    /// How long `create` took (namespaces, links, addresses, routes and servers).
    public let bringUpDuration: Duration
    private let echoServer: String?
    private let podNamespaces: [ObjectKey: String]
    private let addressNamespaces: [IPAddress: String]
    private let tornDown = Mutex(false)

    /// Builds the sandbox and, when `echoServer` (the path of the `switchyard` executable) is given,
    /// starts an echo server in every namespace that has ports and waits until each listens.
    /// On failure everything created so far is removed again.
    public static func create(_ configuration: SandboxConfiguration, echoServer: String? = nil) throws(SandboxError) -> ClusterSandbox {
        try configuration.validate()
        let start = ContinuousClock.now
        let layout = SandboxLayout(configuration)
        removeLeftovers(tag: configuration.tag)
        do {
            try Command.runChecked(["sh", "-e"], input: layout.setupScript)
            if let echoServer { try startServers(layout, binary: echoServer) }
        } catch {
            removeLeftovers(tag: configuration.tag)
            throw error
        }
        return ClusterSandbox(configuration: configuration, layout: layout, echoServer: echoServer, duration: start.duration(to: .now))
    }

    /// Creates a sandbox, runs `body`, and tears the sandbox down whatever happens.
    public static func with<T>(
        _ configuration: SandboxConfiguration, echoServer: String? = nil, _ body: (ClusterSandbox) async throws -> T
    ) async throws -> T {
        let sandbox = try create(configuration, echoServer: echoServer)
        defer { sandbox.teardown() }
        return try await body(sandbox)
    }

    private init(configuration: SandboxConfiguration, layout: SandboxLayout, echoServer: String?, duration: Duration) {
        self.configuration = configuration
        self.layout = layout
        self.echoServer = echoServer
        bringUpDuration = duration
        podNamespaces = Dictionary(layout.pods.map { ($0.pod.key, $0.namespace) }, uniquingKeysWith: { first, _ in first })
        var owners: [IPAddress: String] = [:]
        for address in configuration.nodeAddresses { owners[address.address] = layout.node }
        for address in configuration.clientAddresses { owners[address.address] = layout.client }
        for address in layout.clientExtraAddresses { owners[address] = layout.client }
        for placement in layout.pods {
            for address in placement.pod.addresses { owners[address] = placement.namespace }
        }
        addressNamespaces = owners
    }

    // MARK: Names

    /// The node namespace: program Switchyard's rules here.
    public var nodeNamespace: String { layout.node }
    /// The client namespace outside the node (the LAN's other end).
    public var clientNamespace: String { layout.client }
    /// Every namespace of the sandbox: node, client, pods.
    public var namespaces: [String] { layout.namespaces }

    /// The namespace of a pod, or nil when the sandbox has no such pod.
    public func namespace(of pod: ObjectKey) -> String? { podNamespaces[pod] }

    /// The namespace that owns an address (node, client, or a pod), or nil.
    public func namespace(owning address: IPAddress) -> String? { addressNamespaces[address] }

    // MARK: Commands

    /// Runs a program inside one of the sandbox's namespaces (`ip netns exec`).
    @discardableResult
    public func run(_ arguments: [String], in namespace: String, input: String? = nil) throws(SandboxError) -> CommandResult {
        try Command.run(["ip", "netns", "exec", namespace] + arguments, input: input)
    }

    /// Runs a program inside a namespace and throws unless it exits 0; returns its output.
    @discardableResult
    public func runChecked(_ arguments: [String], in namespace: String, input: String? = nil) throws(SandboxError) -> String {
        try Command.runChecked(["ip", "netns", "exec", namespace] + arguments, namespace: namespace, input: input)
    }

    // MARK: Traffic

    /// One request from `namespace` to `address`:`port`, classified (reply, refused, unreachable, timed out).
    public func request(
        from namespace: String, to address: IPAddress, port: Int, proto: TransportProtocol = .tcp,
        source: IPAddress? = nil, sourcePort: Int? = nil, timeout: Duration = .seconds(1)
    ) -> ProbeResult {
        Probe.request(to: address, port: port, proto: proto, source: source, sourcePort: sourcePort, timeout: timeout, namespace: namespace)
    }

    /// `count` requests, each a new connection (TCP) or a new socket (UDP), so each is balanced anew.
    public func requests(
        _ count: Int, from namespace: String, to address: IPAddress, port: Int, proto: TransportProtocol = .tcp,
        source: IPAddress? = nil, timeout: Duration = .seconds(1)
    ) -> [ProbeResult] {
        (0..<count).map { _ in request(from: namespace, to: address, port: port, proto: proto, source: source, timeout: timeout) }
    }

    /// Opens a TCP connection that stays up until closed; ask `isAlive()` later.
    public func hold(
        from namespace: String, to address: IPAddress, port: Int, source: IPAddress? = nil, timeout: Duration = .seconds(1)
    ) throws(HeldConnectionFailure) -> HeldConnection {
        try HeldConnection.open(to: address, port: port, source: source, timeout: timeout, namespace: namespace).get()
    }

    // MARK: Servers

    /// Ends every process in `namespace` (e.g. a pod's echo server, to test a dead endpoint).
    public func stopProcesses(in namespace: String) throws(SandboxError) {
        Self.kill(pids: try Self.pids(in: [namespace]))
    }

    /// Starts (another) echo server in a namespace, e.g. after `stopProcesses(in:)`; returns once it listens.
    public func startServer(in namespace: String, name: String, ports: SandboxPorts, bind: [IPAddress] = []) throws(SandboxError) {
        guard let echoServer else { throw .launchFailed(command: "echo-server", reason: "the sandbox was created without an echo server binary") }
        try Self.awaitReady([Self.launch(binary: echoServer, namespace: namespace, name: name, ports: ports, bind: bind)])
    }

    // MARK: Teardown

    /// Ends every process in the sandbox's namespaces and deletes them. Safe to call more than once.
    public func teardown() {
        let first = tornDown.withLock { done in
            defer { done = true }
            return !done
        }
        if first { Self.removeLeftovers(tag: configuration.tag) }
    }

    /// Removes every `sy-<tag>-…` namespace and ends the processes inside; returns the names removed.
    @discardableResult
    public static func removeLeftovers(tag: String) -> [String] {
        let prefix = SandboxLayout.prefix(tag: tag)
        let listing = (try? Command.run(["ip", "netns", "list"]).output) ?? ""
        let names = listing.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix(prefix) }.sorted()
        guard !names.isEmpty else { return [] }
        kill(pids: (try? pids(in: names)) ?? [])
        _ = try? Command.run(["ip", "-force", "-batch", "-"], input: names.map { "netns delete \($0)\n" }.joined())
        return names
    }

    // MARK: Internals

    private static func startServers(_ layout: SandboxLayout, binary: String) throws(SandboxError) {
        let configuration = layout.configuration
        var launches: [(namespace: String, output: FileHandle)] = []
        for placement in layout.pods where !placement.pod.ports.isEmpty {
            launches.append(try launch(binary: binary, namespace: placement.namespace, name: placement.pod.name, ports: placement.pod.ports, bind: []))
        }
        for host in configuration.hosts where !host.ports.isEmpty {
            launches.append(try launch(binary: binary, namespace: layout.client, name: host.name, ports: host.ports, bind: [host.address]))
        }
        if !configuration.nodePorts.isEmpty {
            launches.append(try launch(
                binary: binary, namespace: layout.node, name: configuration.nodeName, ports: configuration.nodePorts,
                bind: configuration.nodeAddresses.map(\.address)))
        }
        try awaitReady(launches)
    }

    private static func launch(
        binary: String, namespace: String, name: String, ports: SandboxPorts, bind: [IPAddress]
    ) throws(SandboxError) -> (namespace: String, output: FileHandle) {
        let arguments = ["ip", "netns", "exec", namespace, binary, "echo-server", "--name", name] + ports.arguments
            + bind.flatMap { ["--bind", $0.description] }
        return (namespace, try Command.start(arguments))
    }

    private static func awaitReady(_ launches: [(namespace: String, output: FileHandle)]) throws(SandboxError) {
        let deadline = ContinuousClock.now + .seconds(20)
        var failure: SandboxError?
        for (namespace, output) in launches {
            let line = ProcessRunner.firstLine(output, until: deadline)
            try? output.close()
            if line != EchoServerProtocol.readyLine, failure == nil {
                failure = .echoServerNotReady(namespace: namespace, output: line ?? "no answer within 20 s")
            }
        }
        if let failure { throw failure }
    }

    private static func pids(in namespaces: [String]) throws(SandboxError) -> [Int32] {
        let output = try Command.run(["ip", "-force", "-batch", "-"], input: namespaces.map { "netns pids \($0)\n" }.joined()).output
        let own = getpid()
        return output.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }.filter { $0 != own }
    }

    /// Kills `pids` and waits (up to 2 s) until each has finished exiting, so its sockets are closed.
    private static func kill(pids: [Int32]) {
        for pid in pids { _ = Foundation.kill(pid, SIGKILL) }
        let deadline = ContinuousClock.now + .seconds(2)
        while pids.contains(where: isRunning), ContinuousClock.now < deadline {
            usleep(5_000)
        }
    }

    /// Whether `pid` still exists and is not a zombie (a zombie has released its files and sockets).
    private static func isRunning(_ pid: Int32) -> Bool {
        // /proc files report size 0, so read them with read(2), not Foundation's file APIs.
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return false }
        let stat = String(decoding: buffer[0..<count], as: UTF8.self)
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}

/// What the echo-server subcommand and the sandbox agree on.
public enum EchoServerProtocol {
    /// The line an echo server prints on stdout once every socket is bound.
    public static let readyLine = "ready"
}
