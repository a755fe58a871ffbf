import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardSandbox

/// `switchyard echo-server` (hidden): the small server the sandbox runs in every pod namespace.
/// Answers each TCP connection and UDP datagram with `NAME <client-ip>:<client-port>`, then echoes
/// TCP bytes until the client closes. Prints `ready` once every port is bound.
struct EchoServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Answer TCP and UDP with 'NAME <client-ip>:<client-port>' (sandbox pods run it).",
        shouldDisplay: false
    )

    @Option(help: "The name put in every answer (a pod's name).")
    var name: String

    @Option(parsing: .upToNextOption, help: "TCP ports to listen on.")
    var tcp: [Int] = []

    @Option(parsing: .upToNextOption, help: "UDP ports to listen on.")
    var udp: [Int] = []

    @Option(help: "Bind only this address (repeatable); default: every IPv4 and IPv6 address.")
    var bind: [String] = []

    func validate() throws {
        if tcp.isEmpty && udp.isEmpty { throw ValidationError("give at least one --tcp or --udp port") }
        for port in tcp + udp where !(0...65535).contains(port) { throw ValidationError("port \(port) is out of range") }
        for address in bind where IPAddress(address) == nil { throw ValidationError("--bind \(address) is not an IP address") }
    }

    func run() throws {
        let server = try EchoServer(name: name, tcpPorts: tcp, udpPorts: udp, bindAddresses: bind.compactMap { IPAddress($0) })
        // Unbuffered, so the sandbox sees it at once.
        FileHandle.standardOutput.write(Data((EchoServerProtocol.readyLine + "\n").utf8))
        server.run()
    }
}
