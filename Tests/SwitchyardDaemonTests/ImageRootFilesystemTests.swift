import Foundation
import SwitchyardTestSupport
import Testing

/// The image's root filesystem (issue 16, item 5): scripts/image-rootfs.sh — what `make image`
/// commits with buildah or podman — assembled from the test build and run in a chroot with nothing
/// else in it (a private mount namespace gives it /proc, as a container runtime would).
@Suite("Image root filesystem", .serialized,
       .enabled(if: Shell.isRoot && Shell.has("unshare") && Shell.has("chroot"), "skipped: needs root, unshare and chroot"))
struct ImageRootFilesystemTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    /// Runs `command` (inside the root) in a private mount namespace with /proc mounted there.
    static func inRoot(_ root: String, _ command: [String]) throws -> Shell.Result {
        let quoted = command.map { "'\($0)'" }.joined(separator: " ")
        return try Shell.run(["unshare", "--mount", "--fork", "sh", "-c", "mount -t proc proc '\(root)/proc' && chroot '\(root)' \(quoted)"])
    }

    @Test("the assembled root runs switchyard --version and validate, and has nft and conntrack")
    func runsInChroot() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rootfs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = Self.repository.appendingPathComponent("scripts/image-rootfs.sh").path
        let assembled = try Shell.run([script, Shell.switchyardBinary, root])
        try #require(assembled.status == 0, "image-rootfs.sh: \(assembled.output) \(assembled.error)")
        let examples = Self.repository.appendingPathComponent("examples/cluster").path
        _ = try Shell.run(["cp", "-r", examples, "\(root)/tmp/cluster"])

        let version = try Self.inRoot(root, ["/usr/bin/switchyard", "--version"])
        #expect(version.status == 0 && !version.output.isEmpty, "\(version.output) \(version.error)")
        let host = try Shell.run([Shell.switchyardBinary, "--version"])
        #expect(version.output == host.output, "the same binary")
        let validate = try Self.inRoot(root, ["/usr/bin/switchyard", "validate", "/tmp/cluster"])
        #expect(validate.status == 0 && validate.output.contains("services:"), "\(validate.output) \(validate.error)")
        if Shell.has("nft") {
            let nft = try Self.inRoot(root, ["/usr/sbin/nft", "--version"])
            #expect(nft.output.contains("nftables"), "\(nft.output) \(nft.error)")
        }
        if Shell.has("conntrack") {
            let conntrack = try Self.inRoot(root, ["/usr/sbin/conntrack", "--version"])
            #expect((conntrack.output + conntrack.error).contains("conntrack"), "\(conntrack.output) \(conntrack.error)")
        }
        // Nothing outside the root is reachable: no shell, no other programs.
        #expect(!FileManager.default.fileExists(atPath: "\(root)/bin/sh"))
    }
}
