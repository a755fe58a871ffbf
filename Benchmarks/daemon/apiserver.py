"""A Kubernetes API server for the daemon benchmark: the collections `switchyard run` follows
(namespaces, nodes, services, endpointslices, pods), served as the real API serves them —
paginated LISTs with resourceVersion/continue, chunked WATCH streams from a resourceVersion with
ADDED/MODIFIED/DELETED events and bookmarks. Objects are held pre-serialized; writes go through
`put`/`delete`, which fan out to open watches at once. Standard library only, loopback only.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LIST_KINDS = {
    "/api/v1/namespaces": ("v1", "NamespaceList"),
    "/api/v1/nodes": ("v1", "NodeList"),
    "/api/v1/services": ("v1", "ServiceList"),
    "/api/v1/pods": ("v1", "PodList"),
    "/apis/discovery.k8s.io/v1/endpointslices": ("discovery.k8s.io/v1", "EndpointSliceList"),
}


class Store:
    """The objects by collection path and key, a history of events for watches, open watches."""

    def __init__(self):
        self.lock = threading.Condition()
        self.version = 1000
        self.objects = {path: {} for path in LIST_KINDS}  # path -> key -> (version, dict)
        self.history = []  # (version, path, type, json line)
        self.sorted_keys = {path: None for path in LIST_KINDS}

    def put(self, path, obj, notify=True):
        with self.lock:
            self.version += 1
            meta = obj["metadata"]
            meta["resourceVersion"] = str(self.version)
            key = (meta.get("namespace", ""), meta["name"])
            existed = key in self.objects[path]
            self.objects[path][key] = obj
            if not existed:
                self.sorted_keys[path] = None
            if notify:
                event = "MODIFIED" if existed else "ADDED"
                self.history.append((self.version, path, event, json.dumps({"type": event, "object": obj}, separators=(",", ":"))))
                self.lock.notify_all()

    def delete(self, path, namespace, name):
        with self.lock:
            obj = self.objects[path].pop((namespace, name), None)
            if obj is None:
                return
            self.sorted_keys[path] = None
            self.version += 1
            obj["metadata"]["resourceVersion"] = str(self.version)
            self.history.append((self.version, path, "DELETED", json.dumps({"type": "DELETED", "object": obj}, separators=(",", ":"))))
            self.lock.notify_all()

    def page(self, path, start, limit, name=None):
        with self.lock:
            if self.sorted_keys[path] is None:
                self.sorted_keys[path] = sorted(self.objects[path])
            keys = self.sorted_keys[path]
            if name is not None:
                keys = [k for k in keys if k[1] == name]
            chunk = keys[start:start + limit]
            items = [self.objects[path][k] for k in chunk]
            more = start + limit < len(keys)
            return self.version, items, (start + limit if more else None), len(keys) - start - len(chunk)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Store = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path not in LIST_KINDS:
            body = b'{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        name = None
        for term in query.get("fieldSelector", "").split(","):
            if term.startswith("metadata.name="):
                name = term[len("metadata.name="):]
        if query.get("watch") in ("1", "true"):
            self.watch(path, int(query.get("resourceVersion") or 0), int(query.get("timeoutSeconds") or 300), name)
        else:
            self.list(path, int(query.get("continue") or 0), int(query.get("limit") or 0) or 10**9, name)

    def list(self, path, start, limit, name):
        version, items, token, remaining = self.store.page(path, start, limit, name)
        api_version, kind = LIST_KINDS[path]
        meta = {"resourceVersion": str(version)}
        if token is not None:
            meta["continue"] = str(token)
            meta["remainingItemCount"] = remaining
        body = json.dumps({"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items},
                          separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, path, since, timeout, name):
        import time
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        deadline = time.monotonic() + timeout
        store = self.store
        position = 0
        with store.lock:
            while position < len(store.history) and store.history[position][0] <= since:
                position += 1
        try:
            while time.monotonic() < deadline:
                with store.lock:
                    while position >= len(store.history):
                        if not store.lock.wait(timeout=max(0.0, min(5.0, deadline - time.monotonic()))):
                            break
                    entries = store.history[position:]
                    position = len(store.history)
                lines = [e[3] for e in entries if e[1] == path and (name is None or ('"name":"%s"' % name) in e[3])]
                if lines:
                    self.chunk(("\n".join(lines) + "\n").encode())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def serve(store, port=0):
    """Starts the server on 127.0.0.1 in a thread; returns (server, url)."""
    handler = type("BoundHandler", (Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]
