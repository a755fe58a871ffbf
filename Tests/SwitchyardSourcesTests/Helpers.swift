import Foundation
import SwitchyardModel
import SwitchyardSources
import Testing

/// Test inputs: the bundled fixtures and the repository's examples.
enum Fixture {
    /// A file in `Fixtures/` (copied into the test bundle).
    static func path(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
                               "missing fixture \(name)")
        return url.path
    }

    /// `examples/…` in this checkout.
    static func example(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").appendingPathComponent(relative).path
    }
}

/// Loads YAML text as the file `test.yaml`.
func load(_ yaml: String, nodePortRange: ClosedRange<Int> = 30000...32767) throws(ManifestError) -> [ClusterObject] {
    try ManifestLoader(nodePortRange: nodePortRange).load(text: yaml, file: "test.yaml")
}

/// The problems of loading YAML text as `test.yaml` (empty when it loads).
func problems(_ yaml: String, nodePortRange: ClosedRange<Int> = 30000...32767) -> [ManifestProblem] {
    do {
        _ = try load(yaml, nodePortRange: nodePortRange)
        return []
    } catch {
        return error.problems
    }
}

extension Array where Element == ClusterObject {
    var services: [Service] { compactMap { if case .service(let s) = $0 { s } else { nil } } }
    var slices: [EndpointSlice] { compactMap { if case .endpointSlice(let s) = $0 { s } else { nil } } }
    var pods: [Pod] { compactMap { if case .pod(let p) = $0 { p } else { nil } } }
    var nodes: [Node] { compactMap { if case .node(let n) = $0 { n } else { nil } } }
    var namespaces: [Namespace] { compactMap { if case .namespace(let n) = $0 { n } else { nil } } }

    func service(_ name: String) throws -> Service {
        try #require(services.first { $0.name == name }, "no Service \(name)")
    }

    func slice(_ name: String) throws -> EndpointSlice {
        try #require(slices.first { $0.name == name }, "no EndpointSlice \(name)")
    }
}

func ip(_ text: String) -> IPAddress {
    guard let ip = IPAddress(text) else { fatalError("bad test IP \(text)") }
    return ip
}

func cidr(_ text: String) -> CIDR {
    guard let cidr = CIDR(text) else { fatalError("bad test CIDR \(text)") }
    return cidr
}

/// A fresh directory under the system's temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-sources-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
