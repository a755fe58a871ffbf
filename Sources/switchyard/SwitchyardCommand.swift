import ArgumentParser

/// The `switchyard` command tree. Each subcommand lives in its own file.
@main
struct SwitchyardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "A Kubernetes Service data plane: kube-proxy and cluster DNS in one node daemon.",
        version: "0.1.0",
        subcommands: [
            // Subcommands: one line each, kept in this order: validate, rules, dns, run, bench, cleanup.
            ValidateCommand.self,
            RunCommand.self,
            RulesCommand.self,
            DNSCommand.self,
            BenchCommand.self,
            CleanupCommand.self,
            // Hidden helpers for the sandbox (end-to-end tests and `make run`).
            EchoServerCommand.self,
            ProbeCommand.self,
            SandboxCommand.self,
        ]
    )
}
