import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// An in-process Kubernetes API server on 127.0.0.1 (port 0) that speaks the real protocol for
/// the collections Switchyard follows: paginated Lists with metadata.resourceVersion/continue,
/// chunked watch streams from a resourceVersion (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), 410 Gone
/// after compaction, 401/403 Status objects, optional TLS with client certificates. Tests mutate its
/// objects and inject faults; every request is recorded.
final class FakeAPIServer: Sendable {
    /// How a watch from a compacted resourceVersion is refused.
    enum ExpiryStyle: Sendable {
        /// 200, then one ERROR event holding a 410 Status (what kube-apiserver does).
        case errorEvent
        /// An HTTP 410 answer with the Status object.
        case httpStatus
    }

    struct RecordedRequest: Sendable {
        var path: String
        var query: [String: String]
        var authorization: String?
        var isWatch: Bool { query["watch"] == "1" || query["watch"] == "true" }
    }

    struct HistoryEntry: Sendable {
        var resourceVersion: Int
        var path: String
        var type: String
        var json: String
        var name: String
        var labels: [String: String]
    }

    struct Watcher: Sendable {
        var path: String
        var channel: any Channel
        var selector: Selector
    }

    struct Selector: Sendable {
        var withoutLabel: String?
        var name: String?

        init(_ query: [String: String]) {
            if let label = query["labelSelector"], label.hasPrefix("!") { withoutLabel = String(label.dropFirst()) }
            if let field = query["fieldSelector"] {
                for term in field.split(separator: ",") where term.hasPrefix("metadata.name=") {
                    name = String(term.dropFirst("metadata.name=".count))
                }
            }
        }

        func matches(name: String, labels: [String: String]) -> Bool {
            if let withoutLabel, labels[withoutLabel] != nil { return false }
            if let wanted = self.name, wanted != name { return false }
            return true
        }
    }

    struct State: Sendable {
        var resourceVersion = 1000
        var objects: [String: [String: (object: FakeObject, version: Int)]] = [:]
        var history: [HistoryEntry] = []
        var compactedBefore = 0
        var expiryStyle = ExpiryStyle.errorEvent
        var watchers: [ObjectIdentifier: Watcher] = [:]
        var requests: [RecordedRequest] = []
        var forbidden: [String: Int] = [:]
        /// When set, every other collection answers 403 (an RBAC role's grants).
        var allowed: Set<String>?
        var requiredToken: String?
        var expireContinueTokens = false
    }

    let state = Mutex(State())
    let channel: any Channel
    let url: String

    private init(channel: any Channel, url: String) {
        self.channel = channel
        self.url = url
    }

    /// Listens on 127.0.0.1 with a free port; TLS when `tls` is given.
    static func start(tls: NIOSSLContext? = nil) async throws -> FakeAPIServer {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler { head in
                        box.server.withLock { $0 }?.handle(head, on: channel)
                    })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        let server = FakeAPIServer(channel: channel, url: tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)")
        box.server.withLock { $0 = server }
        return server
    }

    func stop() async {
        dropWatches()
        try? await channel.close()
    }

    // MARK: test controls

    /// Adds or replaces objects (ADDED or MODIFIED to watchers), one resourceVersion each.
    func put(_ objects: FakeObject...) {
        for object in objects { mutate(object, delete: false) }
    }

    /// Changes an object without telling the open watches (a later relist sees it).
    func put(silently object: FakeObject) {
        mutate(object, delete: false, notify: false)
    }

    /// Deletes an object (DELETED to watchers).
    func delete(_ object: FakeObject) {
        mutate(object, delete: true)
    }

    private func mutate(_ object: FakeObject, delete: Bool, notify: Bool = true) {
        state.withLock { state in
            state.resourceVersion += 1
            let version = state.resourceVersion
            let existed = state.objects[object.path]?[object.key] != nil
            if delete {
                guard existed else { return }
                state.objects[object.path]?[object.key] = nil
            } else {
                state.objects[object.path, default: [:]][object.key] = (object, version)
            }
            let type = delete ? "DELETED" : existed ? "MODIFIED" : "ADDED"
            let entry = HistoryEntry(resourceVersion: version, path: object.path, type: type,
                                     json: object.json(resourceVersion: version), name: object.name, labels: object.labels)
            state.history.append(entry)
            for watcher in state.watchers.values where notify && watcher.path == object.path {
                if watcher.selector.matches(name: entry.name, labels: entry.labels) { Self.send(event: entry, to: watcher.channel) }
            }
        }
    }

    /// The server comes back with another, older state (an etcd restore): the resourceVersion goes
    /// back to `version`, the objects and history are replaced by `objects` (one version each), and
    /// every watch is dropped. Clients still at a newer version get 504 "Too large resource version".
    func restore(to version: Int, objects: [FakeObject]) {
        state.withLock { state in
            state.resourceVersion = version
            state.objects = [:]
            state.history = []
            state.compactedBefore = 0
            for object in objects {
                state.resourceVersion += 1
                state.objects[object.path, default: [:]][object.key] = (object, state.resourceVersion)
            }
        }
        dropWatches()
    }

    /// Forgets history: watches from an older resourceVersion get 410.
    func compact() {
        state.withLock { $0.compactedBefore = $0.resourceVersion + 1; $0.history.removeAll() }
    }

    /// Sends a BOOKMARK with the current resourceVersion to every open watch.
    func bookmark() {
        state.withLock { state in
            let line = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
                + "{\"resourceVersion\":\"\(state.resourceVersion)\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n"
            for watcher in state.watchers.values { Self.send(line: line, to: watcher.channel) }
        }
    }

    /// Writes `line` (plus a newline) into every open watch of `path`.
    func inject(line: String, path: String) {
        state.withLock { state in
            for watcher in state.watchers.values where watcher.path == path { Self.send(line: line + "\n", to: watcher.channel) }
        }
    }

    /// Closes every watch connection abruptly (mid-stream).
    func dropWatches() {
        let channels = state.withLock { state in
            let channels = state.watchers.values.map(\.channel)
            state.watchers.removeAll()
            return channels
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Ends every watch cleanly, as the server's timeoutSeconds does.
    func endWatches() {
        let channels = state.withLock { state in
            let channels = state.watchers.values.map(\.channel)
            state.watchers.removeAll()
            return channels
        }
        for channel in channels { Self.end(channel) }
    }

    func forbid(_ path: String, times: Int) { state.withLock { $0.forbidden[path] = times } }
    /// Grants list and watch on these collections only (nil: all), as an RBAC role would.
    func allowOnly(_ paths: Set<String>?) { state.withLock { $0.allowed = paths } }
    /// What kube-proxy's ClusterRole `system:node-proxier` grants to list and watch: services,
    /// endpointslices, nodes (and endpoints). Not namespaces, pods or servicecidrs.
    static let nodeProxierCollections: Set<String> = [
        "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/nodes", "/api/v1/endpoints",
    ]
    func requireToken(_ token: String?) { state.withLock { $0.requiredToken = token } }
    func setExpiryStyle(_ style: ExpiryStyle) { state.withLock { $0.expiryStyle = style } }
    func expireContinueTokens(_ on: Bool) { state.withLock { $0.expireContinueTokens = on } }
    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var openWatches: Int { state.withLock { $0.watchers.count } }

    /// The objects as stored, rendered as the API would (for comparing with what a client holds).
    var objects: [FakeObject] {
        state.withLock { state in state.objects.values.flatMap { $0.values.map(\.object) } }
    }

    // MARK: protocol

    func handle(_ head: HTTPRequestHead, on channel: any Channel) {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = String(parts.first ?? "")
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                query[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
        }
        let request = RecordedRequest(path: path, query: query, authorization: head.headers.first(name: "Authorization"))
        state.withLock { state in
            state.requests.append(request)
            if let token = state.requiredToken, request.authorization != "Bearer \(token)" {
                Self.respond(channel, .unauthorized, Self.status(401, "Unauthorized", "Unauthorized"))
                return
            }
            let denied = state.allowed.map { !$0.contains(path) } ?? false
            if denied || (state.forbidden[path] ?? 0) > 0 {
                if let remaining = state.forbidden[path], remaining > 0 { state.forbidden[path] = remaining - 1 }
                let resource = path.split(separator: "/").last.map(String.init) ?? path
                Self.respond(channel, .forbidden, Self.status(403, "Forbidden",
                    "\(resource) is forbidden: User \\\"system:serviceaccount:kube-system:switchyard\\\" cannot list resource \\\"\(resource)\\\" in API group \\\"\\\" at the cluster scope"))
                return
            }
            if request.isWatch {
                startWatch(&state, path: path, query: query, channel: channel)
            } else {
                list(&state, path: path, query: query, channel: channel)
            }
        }
    }

    private func list(_ state: inout State, path: String, query: [String: String], channel: any Channel) {
        let selector = Selector(query)
        let items = (state.objects[path] ?? [:]).sorted { $0.key < $1.key }
            .filter { selector.matches(name: $0.value.object.name, labels: $0.value.object.labels) }
        var offset = 0
        if let token = query["continue"], !token.isEmpty {
            if state.expireContinueTokens {
                Self.respond(channel, .gone, Self.status(410, "Expired",
                    "The provided continue parameter is too old to display a consistent list result."))
                return
            }
            offset = Int(token) ?? 0
        }
        let limit = query["limit"].flatMap { Int($0) }.map { $0 > 0 ? $0 : Int.max } ?? Int.max
        let end = offset + min(limit, items.count - offset)
        let page = offset < items.count ? items[offset..<end] : []
        let continueToken = end < items.count ? "\(end)" : ""
        let (apiVersion, kind) = FakeObject.listKind(for: path)
        let body = "{\"kind\":\"\(kind)\",\"apiVersion\":\"\(apiVersion)\",\"metadata\":{\"resourceVersion\":\"\(state.resourceVersion)\""
            + (continueToken.isEmpty ? "" : ",\"continue\":\"\(continueToken)\",\"remainingItemCount\":\(items.count - end)")
            + "},\"items\":[" + page.map { $0.value.object.json(resourceVersion: $0.value.version, asListItem: true) }.joined(separator: ",")
            + "]}"
        Self.respond(channel, .ok, body)
    }

    private func startWatch(_ state: inout State, path: String, query: [String: String], channel: any Channel) {
        let from = Int(query["resourceVersion"] ?? "") ?? 0
        if from < state.compactedBefore {
            let status = Self.status(410, "Expired", "too old resource version: \(from) (\(state.compactedBefore - 1))")
            switch state.expiryStyle {
            case .httpStatus:
                Self.respond(channel, .gone, status)
            case .errorEvent:
                Self.startStream(channel)
                Self.send(line: "{\"type\":\"ERROR\",\"object\":\(status)}\n", to: channel)
                Self.end(channel)
            }
            return
        }
        if from > state.resourceVersion {
            // What kube-apiserver answers a watch from a resourceVersion it has not reached yet.
            Self.respond(channel, .gatewayTimeout, Self.status(504, "Timeout",
                "Too large resource version: \(from), current: \(state.resourceVersion)"))
            return
        }
        let selector = Selector(query)
        Self.startStream(channel)
        for entry in state.history where entry.path == path && entry.resourceVersion > from
            && selector.matches(name: entry.name, labels: entry.labels) {
            Self.send(event: entry, to: channel)
        }
        let id = ObjectIdentifier(channel)
        state.watchers[id] = Watcher(path: path, channel: channel, selector: selector)
        let timeout = Int64(query["timeoutSeconds"] ?? "") ?? 300
        channel.eventLoop.scheduleTask(in: .seconds(timeout)) { [weak self] in
            let open = self?.state.withLock { $0.watchers.removeValue(forKey: id) } != nil
            if open { Self.end(channel) }
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
    }

    // MARK: writing (always through the channel's event loop, so writes keep their order)

    static func status(_ code: Int, _ reason: String, _ message: String) -> String {
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"\(message)\","
            + "\"reason\":\"\(reason)\",\"code\":\(code)}"
    }

    static func respond(_ channel: any Channel, _ status: HTTPResponseStatus, _ body: String) {
        channel.eventLoop.execute {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        }
    }

    static func startStream(_ channel: any Channel) {
        channel.eventLoop.execute {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
        }
    }

    static func send(event: HistoryEntry, to channel: any Channel) {
        send(line: "{\"type\":\"\(event.type)\",\"object\":\(event.json)}\n", to: channel)
    }

    static func send(line: String, to channel: any Channel) {
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: line))), promise: nil)
        }
    }

    static func end(_ channel: any Channel) {
        channel.eventLoop.execute {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        }
    }
}

/// Hands each complete request head to the server (bodies of GETs are ignored).
final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let onRequest: @Sendable (HTTPRequestHead) -> Void
    var head: HTTPRequestHead?

    init(onRequest: @escaping @Sendable (HTTPRequestHead) -> Void) {
        self.onRequest = onRequest
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            if let head { onRequest(head) }
            head = nil
        }
    }
}

/// Lets the channel initializer reach the server object created after the bind.
final class ServerBox: Sendable {
    let server = Mutex<FakeAPIServer?>(nil)
}
