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
        let load = try Netns.nftFile(text, check: false)
        #expect(load.status == 0, "\(load.output)")
    }
}
