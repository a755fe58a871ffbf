import ArgumentParser
import Foundation
import SwitchyardModel
import SwitchyardSandbox

/// `switchyard probe` (hidden): one request to an echo server, run in a namespace with
/// `ip netns exec NS switchyard probe …`. Prints the reply line or `refused` / `unreachable` /
/// `timeout` / `error: …`, and exits 0, 10 (refused), 11 (timeout), 12 (unreachable) or 13 (error).
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send one TCP or UDP request to an echo server and print who answered.",
        shouldDisplay: false
    )

    @Flag(help: "Use TCP (the default).")
    var tcp = false

    @Flag(help: "Use UDP.")
    var udp = false

    @Argument(help: "The address to reach.")
    var address: String

    @Argument(help: "The port to reach.")
    var port: Int

    @Option(help: "Give up after this many milliseconds.")
    var timeout = 1000

    @Option(help: "Send from this local address.")
    var source: String?

    @Option(help: "Send this many requests, one line each (the exit status is the last one's).")
    var count = 1

    func validate() throws {
        if tcp && udp { throw ValidationError("--tcp and --udp exclude each other") }
        if IPAddress(address) == nil { throw ValidationError("\(address) is not an IP address") }
        if let source, IPAddress(source) == nil { throw ValidationError("--source \(source) is not an IP address") }
        if !(1...65535).contains(port) { throw ValidationError("port \(port) is out of range") }
        if timeout <= 0 || count <= 0 { throw ValidationError("--timeout and --count must be positive") }
    }

    func run() throws {
        guard let target = IPAddress(address) else { return }
        var last = ProbeResult.timedOut
        for _ in 0..<count {
            last = Probe.request(
                to: target, port: port, proto: udp ? .udp : .tcp, source: source.flatMap { IPAddress($0) },
                timeout: .milliseconds(timeout))
            print(last)
        }
        if last.exitCode != 0 { throw ExitCode(last.exitCode) }
    }
}
