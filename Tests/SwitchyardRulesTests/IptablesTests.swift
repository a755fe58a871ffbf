import SwitchyardTestSupport
import Foundation
import Testing
import SwitchyardLB
import SwitchyardModel
@testable import SwitchyardRules

@Suite("Names and iptables-restore rendering (kube-proxy reference §c)")
struct IptablesTests {
    let portName = ServicePortName(service: ObjectKey(namespace: "ns1", name: "svc1"), port: "p80", protocol: .tcp)

    @Test("nftables names match kube-proxy's verified hashes")
    func nftNames() {
        #expect(Names.hashed("ns1/svc1/tcp/p80") == "ULMVA6XW-ns1/svc1/tcp/p80")
        #expect(Names.serviceChain(portName) == "service-ULMVA6XW-ns1/svc1/tcp/p80")
        let endpoint = EndpointAddress(ip: ip("10.180.0.1"), port: 80)
        #expect(Names.affinitySet(portName, endpoint) == "affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
        #expect(Names.hashed(String(repeating: "x", count: 300)).count == 240)
    }

    @Test("iptables names match kube-proxy's verified hashes", arguments: [
        ("10.180.0.1", "KUBE-SEP-SXIVWICOYRO3J4NJ"), ("10.180.0.2", "KUBE-SEP-LXVODXWDISEETFEF"),
    ])
    func iptablesNames(address: String, chain: String) {
        #expect(Names.iptablesServiceChain(portName) == "KUBE-SVC-XPGD46QRK7WJZT7O")
        #expect(Names.iptablesEndpointChain(portName, EndpointAddress(ip: ip(address), port: 80)) == chain)
    }

    static func referencePlan() -> (ServicePortPlan, ProxyConfig) {
        let config = ProxyConfig(nodeName: "node", clusterCIDRs: [CIDR("10.0.0.0/8")!], dispatch: .chains)
        let endpoints = [EndpointAddress(ip: ip("10.180.0.1"), port: 80), EndpointAddress(ip: ip("10.180.0.2"), port: 80)]
        let set = EndpointSet(endpoints: endpoints, table: DispatchTable(model: .chains, slots: []), ifEmpty: .reject)
        let local = EndpointSet(endpoints: [], table: DispatchTable(model: .chains, slots: []), ifEmpty: .drop)
        let plan = ServicePortPlan(name: ServicePortName(service: ObjectKey(namespace: "ns1", name: "svc1"), port: "p80", protocol: .tcp),
                                   family: .ipv4, port: 80, clusterIP: ip("172.30.0.41"), nodePort: 3001,
                                   cluster: set, local: local, hasEndpoints: true)
        return (plan, config)
    }

    @Test("the worked example of reference §c.2, line for line")
    func referenceExample() {
        let (plan, config) = Self.referencePlan()
        let text = IptablesRenderer.render([plan], family: .ipv4, node: NodeContext(name: "node"), config: config)
        #expect(text == """
            *filter
            :KUBE-SERVICES - [0:0]
            :KUBE-EXTERNAL-SERVICES - [0:0]
            :KUBE-FORWARD - [0:0]
            :KUBE-NODEPORTS - [0:0]
            :KUBE-PROXY-FIREWALL - [0:0]
            -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
            -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            COMMIT
            *nat
            :KUBE-SERVICES - [0:0]
            :KUBE-NODEPORTS - [0:0]
            :KUBE-POSTROUTING - [0:0]
            :KUBE-MARK-MASQ - [0:0]
            :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
            :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
            :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
            :KUBE-SEP-LXVODXWDISEETFEF - [0:0]
            -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
            -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
            -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
            -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
            -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
            -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
            -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
            -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
            -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
            -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
            -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j KUBE-SEP-LXVODXWDISEETFEF
            -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
            -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
            -A KUBE-SEP-LXVODXWDISEETFEF -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
            -A KUBE-SEP-LXVODXWDISEETFEF -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
            -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS
            COMMIT

            """)
    }

    @Test("iptables-restore --test accepts every feature, both families", .enabled(if: Netns.available, "needs root, ip and iptables"))
    func restoreAccepts() throws {
        var world = KernelAcceptanceTests.everyFeature(dispatch: .chains)
        world.config.dispatch = .chains
        for (family, tool) in [(IPFamily.ipv4, "iptables-restore"), (.ipv6, "ip6tables-restore")] {
            let text = IptablesRenderer.render(world.plans, family: family, node: world.context, config: world.config)
            let result = try Netns.inNamespace([tool, "--test"], input: text)
            #expect(result.status == 0, "\(tool): \(result.output)\n\(text)")
            // A real load into the throwaway namespace also checks that every jump target exists.
            let load = try Netns.inNamespace([tool], input: text)
            #expect(load.status == 0, "\(tool): \(load.output)")
        }
        let (plan, config) = Self.referencePlan()
        let reference = IptablesRenderer.render([plan], family: .ipv4, node: NodeContext(name: "node"), config: config)
        let result = try Netns.inNamespace(["iptables-restore", "--test"], input: reference)
        #expect(result.status == 0, "\(result.output)")
    }
}
