import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import SwitchyardSources
import SwitchyardModel
import Testing

/// Decoding a 10,000-Service + 100,000-endpoint LIST the way the informer reads it (pages of 500,
/// each decoded, converted and dropped). Opt-in, and meant for a release build:
/// `SWITCHYARD_KUBE_BENCH=1 swift test -c release --filter DecodeBenchmark`.
@Suite("Decode benchmark")
struct DecodeBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["SWITCHYARD_KUBE_BENCH"] == "1"

    /// Peak resident set size so far, in MiB (getrusage: KiB on Linux).
    static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Current resident set size, in MiB.
    static func currentRSS() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    static func servicePage(_ page: Int, size: Int) -> ByteBuffer {
        var items: [String] = []
        for i in page * size..<(page + 1) * size {
            let ip = "10.96.\(i / 250).\(i % 250 + 1)"
            items.append(FakeObject.service("ns-\(i % 100)", "svc-\(i)", clusterIP: ip, port: 80,
                                            labels: ["app": "svc-\(i)"]).json(resourceVersion: 1000 + i, asListItem: true))
        }
        return ByteBuffer(string: "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"99999\",\"continue\":\"x\"},\"items\":[\(items.joined(separator: ","))]}")
    }

    static func slicePage(_ page: Int, size: Int) -> ByteBuffer {
        var items: [String] = []
        for i in page * size..<(page + 1) * size {
            let addresses = (0..<10).map { "10.\(100 + i / 25_000).\((i / 100) % 250).\((i % 100) * 2 + $0 % 2 + 1)" }
            items.append(FakeObject.endpointSlice("ns-\(i % 100)", "svc-\(i)-abcde", service: "svc-\(i)", addresses: addresses)
                .json(resourceVersion: 1000 + i, asListItem: true))
        }
        return ByteBuffer(string: "{\"kind\":\"EndpointSliceList\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"99999\"},\"items\":[\(items.joined(separator: ","))]}")
    }

    @Test("10,000 services + 100,000 endpoints", .enabled(if: enabled))
    func decodeAtScale() async throws {
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let settings = KubernetesSource.Configuration(connection: KubernetesConnection(server: "http://127.0.0.1"))
        let client = APIClient(http: http, connection: settings.connection)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        func informer(_ resource: KubernetesResource) -> Informer {
            Informer(resource: resource, client: client, converter: ObjectConverter(), settings: settings, logger: logger)
        }
        let pageSize = 500
        let pages = 10_000 / pageSize
        let rssBefore = Self.currentRSS()
        let peakBefore = Self.peakRSS()
        var decodeTime = Duration.zero
        var bytes = 0
        var state = (services: InformerState(), slices: InformerState())
        var endpoints = 0
        let clock = ContinuousClock()
        for (resource, make) in [(KubernetesResource.services, Self.servicePage), (.endpointSlices, Self.slicePage)] {
            let reader = informer(resource)
            var objects: [ClusterObject] = []
            for page in 0..<pages {
                let body = make(page, pageSize)
                bytes += body.readableBytes
                let started = clock.now
                objects += try reader.decodePage(body).objects
                decodeTime += clock.now - started
            }
            let started = clock.now
            if resource.kind == .service {
                _ = state.services.replace(with: objects, kind: .service)
            } else {
                _ = state.slices.replace(with: objects, kind: .endpointSlice)
            }
            decodeTime += clock.now - started
            endpoints += objects.reduce(0) { total, object in
                if case .endpointSlice(let slice) = object { return total + slice.endpoints.count }
                return total
            }
        }
        #expect(state.services.keys.count == 10_000)
        #expect(endpoints == 100_000)
        let seconds = Double(decodeTime.components.seconds) + Double(decodeTime.components.attoseconds) / 1e18
        print(String(format: "decode benchmark: %d services + %d endpoints (%.1f MiB of JSON in %d pages of %d): %.2f s, %.0f objects/s; peak RSS %.0f MiB (before: %.0f MiB resident, %.0f MiB peak); resident after %.0f MiB (+%.0f MiB held by the informers' state)",
                     state.services.keys.count, endpoints, Double(bytes) / 1_048_576, 2 * pages, pageSize, seconds,
                     Double(20_000) / seconds, Self.peakRSS(), rssBefore, peakBefore, Self.currentRSS(), Self.currentRSS() - rssBefore))
        try await http.shutdown()
    }
}
