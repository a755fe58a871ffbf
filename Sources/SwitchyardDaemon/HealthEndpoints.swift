import NIOHTTP1

/// The daemon's own HTTP endpoints, as pure functions of the health and metrics state:
/// `/healthz` and `/livez` (kube-proxy's JSON and status codes) and `/metrics` (Prometheus text).
public enum HealthEndpoints {
    /// The responder for the `--healthz-bind-address` server.
    public static func healthResponder(health: HealthState, metrics: DaemonMetrics?) -> HTTPRequestResponder {
        { head in
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            switch path {
            case "/healthz", "/livez":
                let response = probe(path, report: health.report())
                metrics?.healthProbe(path, code: Int(response.status.code))
                return response
            default:
                return notFound
            }
        }
    }

    /// The responder for the `--metrics-bind-address` server (`/metrics`; `/healthz` and `/livez`
    /// too, as kube-proxy serves them there as well).
    public static func metricsResponder(health: HealthState, metrics: DaemonMetrics) -> HTTPRequestResponder {
        let health = healthResponder(health: health, metrics: metrics)
        return { head in
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            guard path == "/metrics" else { return health(head) }
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: metrics.render())
        }
    }

    /// `/healthz` or `/livez` for `report`: 200 while healthy, 503 once a change has waited longer
    /// than the health timeout. The body is kube-proxy's, byte for byte in shape.
    public static func probe(_ path: String, report: HealthState.Report) -> HTTPResponse {
        let lastUpdated = GoTime.format(report.lastUpdated)
        let currentTime = GoTime.format(report.currentTime)
        let body = path == "/livez"
            ? #"{"lastUpdated": "\#(lastUpdated)","currentTime": "\#(currentTime)"}"#
            : #"{"lastUpdated": "\#(lastUpdated)","currentTime": "\#(currentTime)", "nodeEligible": true}"#
        return HTTPResponse(status: report.healthy ? .ok : .serviceUnavailable, headers: jsonHeaders, body: body)
    }

    static let jsonHeaders = [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")]
    static let notFound = HTTPResponse(
        status: .notFound, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
        body: "404 page not found\n")
}
