import Foundation
import Logging
import AsyncHTTPClient
import NIOCore
import SwitchyardModel

/// client-go's reflector for one collection: LIST (paginated), then WATCH from the list's
/// resourceVersion; relist on 410 Gone and after a malformed event, delivering the listed objects
/// page by page and then the deletions of those no longer listed; resume from the last
/// resourceVersion after a broken connection, with jittered exponential backoff.
/// Runs until its task is cancelled; never throws (every failure is logged and retried).
struct Informer: Sendable {
    /// What an informer tells the source.
    enum Message: Sendable {
        /// The first full list of `kind` is in: every object, sorted by key.
        case synced(ResourceKind, [ClusterObject])
        /// Changes after that (one watch chunk, or a page of a relist). An update may repeat what
        /// the consumer holds: the informer keeps keys, not objects, and cannot tell.
        case events([ClusterEvent])
    }

    /// Objects per batch delivered during a relist.
    static let relistBatchSize = 500

    let resource: KubernetesResource
    let client: APIClient
    let converter: ObjectConverter
    let settings: KubernetesSource.Configuration
    let logger: Logger

    var apiVersion: String { ObjectConverter.followedKinds[resource.kind.rawValue]?.apiVersion ?? "v1" }

    func run(_ send: @Sendable (Message) -> Void) async {
        var state = InformerState()
        var synced = false
        var needList = true
        var backoff = Backoff(initial: settings.initialBackoff, maximum: settings.maximumBackoff)
        while !Task.isCancelled {
            if needList {
                do {
                    if synced {
                        // Delivered page by page as listed: no second full copy of the collection
                        // (the consumer's store drops what it already holds).
                        var relist = state.beginRelist()
                        var count = 0
                        var batch: [ClusterEvent] = []
                        let resourceVersion = try await list { object in
                            batch.append(state.relisted(object, into: &relist))
                            count += 1
                            if batch.count == Self.relistBatchSize {
                                send(.events(batch))
                                batch = []
                            }
                        }
                        let deleted = state.finish(relist, kind: resource.kind)
                        state.resourceVersion = resourceVersion
                        logger.info("relisted", metadata: ["objects": "\(count)", "deleted": "\(deleted.count)"])
                        batch += deleted
                        if !batch.isEmpty { send(.events(batch)) }
                    } else {
                        var objects: [ClusterObject] = []
                        let resourceVersion = try await list { objects.append($0) }
                        _ = state.replace(with: objects, kind: resource.kind)
                        state.resourceVersion = resourceVersion
                        logger.info("listed", metadata: ["objects": "\(objects.count)", "resourceVersion": "\(resourceVersion)"])
                        synced = true
                        objects.sort { $0.key < $1.key }
                        send(.synced(resource.kind, objects))
                    }
                    needList = false
                    backoff.reset()
                    if resource.isOptional { settings.availability?(resource.kind, true) }
                } catch {
                    if Task.isCancelled { return }
                    if resource.isOptional, case .status(_, _, let status) = error, [403, 404].contains(status.code) {
                        // Not served or not allowed: synced as empty, so nothing waits for it; the
                        // features that need it do without, and it is asked for again now and then.
                        settings.availability?(resource.kind, false)
                        if !synced {
                            logger.warning("collection unavailable; going on without it", metadata: [
                                "status": "\(status.code) \(status.reason)", "message": "\(status.message)", "retryIn": "\(settings.maximumBackoff)",
                            ])
                            synced = true
                            send(.synced(resource.kind, []))
                        }
                        try? await Task.sleep(for: settings.maximumBackoff)
                        continue
                    }
                    let delay = backoff.next()
                    logger.error("list failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                    try? await Task.sleep(for: delay)
                    continue
                }
            }
            let started = ContinuousClock.now
            let end = await watch(&state, send)
            if Task.isCancelled { return }
            let lasted = ContinuousClock.now - started
            switch end {
            case .closed(let delivered):
                logger.debug("watch closed by the server; resuming", metadata: ["resourceVersion": "\(state.resourceVersion)"])
                if delivered || lasted > .seconds(5) {
                    backoff.reset()
                } else {
                    try? await Task.sleep(for: backoff.next())
                }
            case .expired(let status):
                logger.info("watch expired; relisting", metadata: [
                    "resourceVersion": "\(state.resourceVersion)", "status": "\(status.code) \(status.reason): \(status.message)",
                ])
                needList = true
            case .malformed(let message):
                logger.error("malformed watch event; relisting to resync", metadata: ["event": "\(message)"])
                needList = true
            case .failed(let error):
                if lasted > .seconds(5) { backoff.reset() }
                let delay = backoff.next()
                logger.warning("watch failed; resuming from the last resourceVersion", metadata: [
                    "error": "\(error)", "resourceVersion": "\(state.resourceVersion)", "retryIn": "\(delay)",
                ])
                try? await Task.sleep(for: delay)
            }
        }
    }

    // MARK: LIST

    /// Every page of the collection, each object converted and handed to `take` as its page
    /// arrives; returns the list's resourceVersion.
    func list(_ take: (ClusterObject) -> Void) async throws(KubernetesAPIError) -> String {
        var continueToken: String?
        var resourceVersion = ""
        repeat {
            var query = [("limit", "\(settings.pageSize)")]
            if let continueToken { query.append(("continue", continueToken)) }
            let body = try await client.get(resource, query: query)
            let page = try decodePage(body)
            for object in page.objects { take(object) }
            resourceVersion = page.resourceVersion
            continueToken = page.continueToken
        } while continueToken != nil
        return resourceVersion
    }

    /// One LIST page: its objects converted to the slim model (invalid ones logged and left out),
    /// its resourceVersion and continue token. The decoded JSON is dropped on return.
    func decodePage(_ body: ByteBuffer) throws(KubernetesAPIError) -> (objects: [ClusterObject], resourceVersion: String, continueToken: String?) {
        let page: APIValue
        do {
            page = try JSONParser.parse(body)
        } catch {
            throw .malformed(resource: resource.path, request: "LIST", message: "not JSON: \(error)")
        }
        guard page["kind"]?.stringValue?.hasSuffix("List") == true else {
            throw .malformed(resource: resource.path, request: "LIST", message: "not a List (kind \(page["kind"]?.stringValue ?? "missing"))")
        }
        var objects: [ClusterObject] = []
        for (_, item) in ObjectConverter.items(of: page) {
            if let object = convert(item, verb: "listed") { objects.append(object) }
        }
        return (objects, page["metadata"]?["resourceVersion"]?.stringValue ?? "", page["metadata"]?["continue"]?.stringValue.nonEmpty)
    }

    // MARK: WATCH

    enum WatchEnd {
        /// The server ended the stream (timeoutSeconds); `delivered` if any event or bookmark came.
        case closed(delivered: Bool)
        case expired(APIStatus)
        case malformed(String)
        case failed(KubernetesAPIError)
    }

    func watch(_ state: inout InformerState, _ send: @Sendable (Message) -> Void) async -> WatchEnd {
        let timeout = settings.watchTimeoutSeconds
        let query = [
            ("watch", "1"), ("resourceVersion", state.resourceVersion), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", "\(timeout)"),
        ]
        let response: HTTPClientResponse.Body
        let request: String
        do {
            let (started, description) = try await client.watch(resource, query: query)
            response = started.body
            request = description
        } catch {
            if case .status(_, _, let status) = error, status.isExpired { return .expired(status) }
            return .failed(error)
        }
        var splitter = WatchLineSplitter()
        var delivered = false
        do {
            for try await chunk in response {
                splitter.append(chunk)
                var batch: [ClusterEvent] = []
                defer { if !batch.isEmpty { send(.events(batch)) } }
                while let line = try splitter.nextLine() {
                    delivered = true
                    switch WatchEvent.decode(line) {
                    case .failure(let failure):
                        return .malformed("\(failure.message): \(failure.excerpt)")
                    case .success(let event):
                        if let end = apply(event, to: &state, into: &batch, request: request) { return end }
                    }
                }
            }
        } catch let error as KubernetesAPIError {
            return .failed(error)
        } catch {
            return .failed(.transport(resource: resource.path, request: request, message: "stream broken: \(error)"))
        }
        return .closed(delivered: delivered)
    }

    /// Applies one watch event; returns how the watch ends when the event ends it (ERROR).
    func apply(_ event: WatchEvent, to state: inout InformerState, into batch: inout [ClusterEvent], request: String) -> WatchEnd? {
        switch event.type {
        case .bookmark:
            if let version = event.object.resourceVersion { state.resourceVersion = version }
        case .error:
            let status = APIStatus(event.object, fallbackCode: 500)
            if status.isExpired { return .expired(status) }
            return .failed(.status(resource: resource.path, request: request, status: status))
        case .added, .modified:
            let object = event.object.filling(kind: resource.kind.rawValue, apiVersion: apiVersion)
            if let version = object.resourceVersion { state.resourceVersion = version }
            if let converted = convert(object, verb: "watched") {
                batch.append(state.upsert(converted))
            } else if let key = key(of: object), let change = state.remove(key, kind: resource.kind) {
                // Now invalid: the previous value no longer describes the server's object.
                batch.append(change)
            }
        case .deleted:
            let object = event.object.filling(kind: resource.kind.rawValue, apiVersion: apiVersion)
            if let version = object.resourceVersion { state.resourceVersion = version }
            if let key = key(of: object), let change = state.remove(key, kind: resource.kind) { batch.append(change) }
        }
        return nil
    }

    /// The slim object, or nil (logged) when the object is invalid or of another kind.
    func convert(_ value: APIValue, verb: String) -> ClusterObject? {
        switch converter.convert(value) {
        case .object(let object) where object.kind == resource.kind:
            return object
        case .object(let object):
            logger.warning("\(verb) an object of another kind; ignored", metadata: ["kind": "\(object.kind.rawValue)"])
        case .skipped(let apiVersion, let kind):
            logger.warning("\(verb) an object of a kind not followed; ignored", metadata: ["apiVersion": "\(apiVersion)", "kind": "\(kind)"])
        case .invalid(let object, let problems):
            logger.warning("\(verb) an invalid object; ignored", metadata: [
                "object": "\(object)", "problems": "\(problems.map { "\($0)" }.joined(separator: "; "))",
            ])
        }
        return nil
    }

    /// namespace/name of a decoded object (namespaced kinds default to `default`).
    func key(of value: APIValue) -> ObjectKey? {
        guard let name = value["metadata"]?["name"]?.stringValue, !name.isEmpty else { return nil }
        switch resource.kind {
        case .namespace, .node, .serviceCIDR: return ObjectKey(namespace: "", name: name)
        case .service, .endpointSlice, .pod:
            return ObjectKey(namespace: value["metadata"]?["namespace"]?.stringValue.nonEmpty ?? "default", name: name)
        }
    }
}
