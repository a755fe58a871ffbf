import SwitchyardTestSupport
import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
@testable import SwitchyardRules

@Suite("Rendered rulesets are accepted by nft (in a throwaway network namespace)")
struct KernelAcceptanceTests {
    /// A cluster touching every rule form: NodePorts, externalIPs, LB IPs with source ranges, ETP/ITP Local,
    /// affinity, no endpoints, dual-stack.
    static func everyFeature(dispatch: DispatchModel) -> World {
        var world = World()
        world.config.dispatch = dispatch
        world.add(service("web", clusterIP: "10.96.0.10", type: .nodePort, extraClusterIPs: ["fd00:96::10"]), endpoints: [
            endpoint("10.244.1.1", node: World.nodeName), endpoint("10.244.2.2"), endpoint("fd00:244::1"),
        ])
        world.services[0].ports = [ServicePort(name: "http", port: 80, nodePort: 30080)]
        world.add(service("lb", clusterIP: "10.96.0.11", ports: [ServicePort(name: "https", port: 443, nodePort: 30443)], type: .loadBalancer,
                          externalIPs: ["198.51.100.1"], loadBalancer: [LoadBalancerIngress(ip: ip("198.51.100.2"))], sourceRanges: ["203.0.113.0/24"],
                          etp: .local), endpoints: [endpoint("10.244.1.3", node: World.nodeName), endpoint("10.244.2.3")])
        world.add(service("sticky", clusterIP: "10.96.0.12", affinity: .clientIP(timeoutSeconds: 600)),
                  endpoints: [endpoint("10.244.1.4"), endpoint("10.244.2.4")])
        world.add(service("empty", clusterIP: "10.96.0.13", ports: [ServicePort(name: "dns", protocol: .udp, port: 53)]), endpoints: [])
        world.add(service("local-only", clusterIP: "10.96.0.14", itp: .local), endpoints: [endpoint("10.244.2.5")])
        return world
    }

    @Test("every feature, each dispatch model: nft -c -f, then a real load", .enabled(if: Netns.available, "needs root, ip and nft"),
          arguments: DispatchModel.allCases)
    func everyFeature(dispatch: DispatchModel) throws {
        let text = Self.everyFeature(dispatch: dispatch).transaction.render()
        let check = try Netns.nftFile(text)
        #expect(check.status == 0, "\(check.output)")
        let load = try Netns.nftFile(text, check: false, then: [["nft", "list", "ruleset"]])
        #expect(load.status == 0, "\(load.output)")
        // What was programmed lists cleanly, and the listing loads again (nft can read back our objects).
        let listing = try #require(load.extra.first)
        #expect(listing.contains("table ip switchyard") && listing.contains("table ip6 switchyard"))
        let reload = try Netns.nftFile(listing)
        #expect(reload.status == 0, "\(reload.output)")
    }

    /// 1,000 services with 1–10 endpoints each, a mix of types and policies, both families.
    static func generated(count: Int, dispatch: DispatchModel) -> World {
        var world = World()
        world.config.dispatch = dispatch
        for index in 0..<count {
            let octets = "\(index / 250).\(index % 250 + 1)"
            let endpoints = (0..<(index % 10 + 1)).map { endpoint("10.245.\(index / 250 * 10 + $0).\(index % 250 + 1)", node: $0 == 0 ? World.nodeName : "node-b") }
            let type: ServiceType = index % 3 == 0 ? .nodePort : (index % 7 == 0 ? .loadBalancer : .clusterIP)
            var ports = [ServicePort(name: "http", port: 80), ServicePort(name: "dns", protocol: .udp, port: 53)]
            if type != .clusterIP { ports = ports.enumerated().map { ServicePort(name: $1.name, protocol: $1.protocol, port: $1.port, nodePort: 30000 + index * 2 + $0) } }
            world.add(service("svc-\(index)", namespace: "ns-\(index % 17)", clusterIP: "10.96.\(octets)", ports: ports, type: type,
                              externalIPs: index % 11 == 0 ? ["198.51.\(octets)"] : [],
                              loadBalancer: type == .loadBalancer ? [LoadBalancerIngress(ip: ip("203.0.\(octets)"))] : [],
                              sourceRanges: index % 14 == 0 ? ["192.0.2.0/24"] : [],
                              affinity: index % 13 == 0 ? .clientIP(timeoutSeconds: 10800) : .none,
                              etp: index % 5 == 0 ? .local : .cluster, itp: index % 19 == 0 ? .local : .cluster),
                      endpoints: index % 23 == 0 ? [] : endpoints)
        }
        return world
    }

    @Test("a generated 1,000-service cluster: nft -c -f accepts the full sync", .enabled(if: Netns.available, "needs root, ip and nft"),
          arguments: [DispatchModel.random, .chains])
    func thousandServices(dispatch: DispatchModel) throws {
        let world = Self.generated(count: 1000, dispatch: dispatch)
        let text = world.transaction.render()
        let check = try Netns.nftFile(text)
        #expect(check.status == 0, "\(check.output.prefix(2000))")
    }
}
