import SwitchyardTestSupport
import Foundation
import Testing
import SwitchyardLB
import SwitchyardModel
import SwitchyardNFT
import SwitchyardSources
@testable import SwitchyardRules

/// examples/cluster through the same pipeline as `switchyard rules examples/cluster
/// --cluster-cidr 10.244.0.0/16,fd00:10:244::/56`.
@Suite("examples/cluster through the rules pipeline")
struct ClusterRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/examples-cluster.nft")

    static func sync(dispatch: DispatchModel = .random) throws -> (SyncResult, ProxyConfig, ClusterSnapshot) {
        let objects = try ManifestLoader().load(paths: [root.appendingPathComponent("examples/cluster").path])
        var store = ClusterStore()
        store.apply(objects.map { ClusterEvent.added($0) })
        let config = ProxyConfig(nodeName: "node-1", clusterCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/56")!], dispatch: dispatch)
        return (RulesPipeline.sync(snapshot: store.snapshot, config: config), config, store.snapshot)
    }

    @Test("the full sync matches the golden nft text (set SWITCHYARD_UPDATE_GOLDEN=1 to rewrite it)")
    func golden() throws {
        let text = try Self.sync().0.transaction.render()
        if ProcessInfo.processInfo.environment["SWITCHYARD_UPDATE_GOLDEN"] == "1" {
            try text.write(to: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8)
        #expect(text == expected)
    }

    @Test("nft -c -f accepts it under every dispatch model", .enabled(if: Netns.available, "needs root, ip and nft"),
          arguments: DispatchModel.allCases)
    func kernelAccepts(dispatch: DispatchModel) throws {
        let text = try Self.sync(dispatch: dispatch).0.transaction.render()
        let check = try Netns.nftFile(text)
        #expect(check.status == 0, "\(check.output)")
    }

    @Test("iptables-restore --test accepts the chains plan", .enabled(if: Netns.available, "needs root, ip and iptables"))
    func iptablesAccepts() throws {
        let (result, config, _) = try Self.sync(dispatch: .chains)
        for (family, text) in RulesPipeline.iptables(result.plan, config: config) {
            let tool = family == .ipv4 ? "iptables-restore" : "ip6tables-restore"
            let check = try Netns.inNamespace([tool, "--test"], input: text)
            #expect(check.status == 0, "\(tool): \(check.output)")
        }
    }

    @Test("traced: web, shop NodePort, gateway ETP Local with source ranges, headless db and ExternalName unprogrammed")
    func traced() throws {
        let result = try Self.sync().0
        let programmed = Swift.Set(result.plan.services.keys.map(\.description))
        #expect(!programmed.contains("default/db") && !programmed.contains("default/search"))
        #expect(programmed.contains("default/legacy") && programmed.contains("kube-system/kube-dns"))
        var fake = FakeNetfilter()
        try fake.apply(result.transaction)
        let environment = TraceEnvironment(localAddresses: [addr("192.168.50.10")])
        let pod = addr("10.244.0.99")
        func destinations(_ packet: Packet) -> Swift.Set<String> {
            Swift.Set(fake.outcomes(of: packet, in: environment).map { $0.delivery.map { "\($0.address):\($0.port)" } ?? $0.description })
        }
        // web: three ready endpoints; the terminating one is not used while others are ready.
        #expect(destinations(Packet(from: pod, to: addr("10.96.0.20"), port: 80)) == ["10.244.0.10:8080", "10.244.0.11:8080", "10.244.0.12:8080"])
        // shop NodePort on the node's InternalIP.
        #expect(destinations(Packet(from: addr("203.0.113.9"), to: addr("192.168.50.10"), port: 30080)) == ["10.244.0.20:8080", "10.244.0.21:8080"])
        // gateway: ETP Local → the local endpoint only, from an allowed source; others dropped.
        #expect(destinations(Packet(from: addr("203.0.113.9"), to: addr("192.168.50.240"), port: 80)) == ["10.244.0.40:8080"])
        #expect(destinations(Packet(from: addr("192.0.2.1"), to: addr("192.168.50.240"), port: 80)) == ["dropped"])
        // kube-dns over UDP and TCP.
        #expect(destinations(Packet(from: pod, to: addr("10.96.0.10"), port: 53, proto: .udp)) == ["10.244.0.2:53", "10.244.0.3:53"])
        // dual-stack api over IPv6.
        #expect(destinations(Packet(from: addr("fd00:10:244::99"), to: addr("fd00:10:96::70"), port: 80)) == ["fd00:10:244::3c:8080", "fd00:10:244::3d:8080"])
        // unserved port of a ClusterIP.
        #expect(destinations(Packet(from: pod, to: addr("10.96.0.20"), port: 81)) == ["rejected (tcp reset)"])
    }
}
