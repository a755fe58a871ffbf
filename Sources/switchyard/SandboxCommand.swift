import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardSandbox
import SwitchyardSources

/// `switchyard sandbox up|down` (hidden): network namespaces shaped like one node of a cluster, with
/// echo servers in the pods, for the `make run` demo and for trying rules by hand.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Create or remove a sandbox of network namespaces: a node, a client, and one per pod.",
        shouldDisplay: false,
        subcommands: [Up.self, Down.self]
    )

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Build the sandbox for the manifests' pods and start their echo servers (removes leftovers of the same tag first)."
        )

        @Argument(help: "Manifest files or directories (as for `validate`).")
        var paths: [String]

        @Option(help: "Names every namespace sy-<tag>-…: 1-8 characters a-z 0-9.")
        var tag = "demo"

        @Option(help: "The node the sandbox stands for (default: the first Node by name).")
        var node: String?

        @Flag(help: "Print the bring-up script instead of running it.")
        var dryRun = false

        func run() throws {
            let objects: [ClusterObject]
            do {
                objects = try ManifestLoader().load(paths: paths)
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode.failure
            }
            var store = ClusterStore()
            store.apply(objects.map(ClusterEvent.added))
            let configuration = SandboxConfiguration(snapshot: store.snapshot, tag: tag, nodeName: node)
            try configuration.validate()
            if dryRun {
                print(SandboxLayout(configuration).setupScript, terminator: "")
                return
            }
            let sandbox = try ClusterSandbox.create(configuration, echoServer: Self.executablePath)
            print(SandboxTour(sandbox: sandbox, invokedAs: CommandLine.arguments.first ?? "switchyard").text, terminator: "")
        }

        /// This executable, which also serves as the echo server.
        static var executablePath: String {
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down",
            abstract: "Remove every sy-<tag>-… namespace and end the processes inside."
        )

        @Option(help: "The tag given to `sandbox up`.")
        var tag = "demo"

        func validate() throws {
            guard (1...8).contains(tag.count), tag.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else {
                throw ValidationError("--tag must be 1-8 characters a-z 0-9")
            }
        }

        func run() {
            let removed = ClusterSandbox.removeLeftovers(tag: tag)
            print(removed.isEmpty ? "sandbox \(tag): nothing to remove" : "sandbox \(tag): removed \(removed.joined(separator: " "))")
        }
    }
}

/// What `sandbox up` prints: the namespaces, who lives where, and commands to try.
struct SandboxTour {
    let sandbox: ClusterSandbox
    let invokedAs: String

    var text: String {
        let configuration = sandbox.configuration
        let layout = sandbox.layout
        var lines = ["sandbox \(configuration.tag): \(layout.namespaces.count) namespaces up in \(milliseconds(sandbox.bringUpDuration)) ms"]
        lines.append("  \(layout.node)  node \(configuration.nodeName): \(configuration.nodeAddresses.map(\.description).joined(separator: " "))"
            + (configuration.nodePorts.isEmpty ? "" : " (echo server \(ports(configuration.nodePorts)))"))
        let extras = configuration.hosts.map { "\($0.address) (\($0.name) \(ports($0.ports)))" }
            + configuration.extraClientAddresses.map { "\($0) (source)" }
        lines.append("  \(layout.client)  client: \(configuration.clientAddresses.map(\.description).joined(separator: " "))"
            + (extras.isEmpty ? "" : ", also " + extras.joined(separator: ", ")))
        for placement in layout.pods {
            let pod = placement.pod
            lines.append("  \(placement.namespace)  \(pod.key)\(pod.isLocal ? "" : " (remote)"): "
                + pod.addresses.map(\.description).joined(separator: " ")
                + (pod.ports.isEmpty ? "" : " \(ports(pod.ports))") + " via \(placement.nodeInterface)")
        }
        lines.append("")
        lines.append("Try:")
        if let pod = layout.pods.first(where: { !$0.pod.ports.tcp.isEmpty }), let address = pod.pod.addresses.first, let port = pod.pod.ports.tcp.first {
            lines.append("  ip netns exec \(layout.client) \(invokedAs) probe \(address) \(port)")
            lines.append("  ip netns exec \(layout.client) curl -s http://\(url(address)):\(port)/")
        }
        if let pod = layout.pods.first(where: { !$0.pod.ports.udp.isEmpty }), let address = pod.pod.addresses.first, let port = pod.pod.ports.udp.first {
            lines.append("  ip netns exec \(layout.client) \(invokedAs) probe --udp \(address) \(port)")
        }
        lines.append("  ip netns exec \(layout.node) nft list ruleset")
        lines.append("  \(invokedAs) sandbox down --tag \(configuration.tag)")
        return lines.joined(separator: "\n") + "\n"
    }

    private func ports(_ ports: SandboxPorts) -> String {
        (ports.tcp.map { "\($0)/tcp" } + ports.udp.map { "\($0)/udp" }).joined(separator: ",")
    }

    private func url(_ address: IPAddress) -> String { address.family == .ipv6 ? "[\(address)]" : address.description }

    private func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
