import Testing
@testable import SwitchyardNetlink
import SwitchyardTestSupport

@Suite("Set sizes: large sets declared with one, raised when outgrown")
struct SetCapacityTests {
    static let set = KernelSet(family: .ip, table: "switchyard", name: "addresses", flags: 0, keyType: 7, keyLength: 4,
                               userData: UserData.set(keyByteOrder: 2))

    static func elements(_ range: Range<Int>) -> [KernelElement] {
        range.map { KernelElement(key: [10, UInt8(($0 >> 16) & 0xff), UInt8(($0 >> 8) & 0xff), UInt8($0 & 0xff)]) }
    }

    static func addElements(_ range: Range<Int>) -> KernelOperation {
        KernelOperation(.addElements(set, elements(range), labels: ElementLabels(range.map { "e\($0)" })), label: "add element to set addresses")
    }

    /// Why the kernel tests cannot run here, if they cannot.
    static let kernelReason: String? = TestNamespace.unavailableReason
        ?? (SetCapacity.kernelRaisesSizes ? nil : "the kernel cannot raise a set's size (Linux < 6.5)")

    /// Runs `body` in a new namespace with a socket whose sets get a size above 100 elements.
    static func withSmallCapacity(_ name: String, _ body: (TestNamespace, NetfilterSocket) throws -> Void) async throws {
        try await TestNamespace.with(name) { ns in
            let socket = try NetfilterSocket(namespace: .named(ns.name))
            socket.setCapacity = SetCapacity(threshold: 100, granularity: 64)
            try body(ns, socket)
        }
    }

    @Test("a set gets a size only above the threshold: one and a half times its elements, rounded up")
    func policy() {
        let capacity = SetCapacity(threshold: 100, granularity: 64)
        #expect(capacity.declaredSize(forCount: 100) == nil)
        #expect(capacity.declaredSize(forCount: 101) == 192)  // 151 → 192
        #expect(capacity.declaredSize(forCount: 1_010_000) == 1_515_008)
        #expect(capacity.raisedSize(from: 320, adding: 300) == 960)  // 620 × 1.5 = 930 → 960
        let standard = SetCapacity.standard
        #expect(standard.declaredSize(forCount: 65_536) == nil)
        #expect(standard.declaredSize(forCount: 1_010_000) == 1_572_864)
    }

    @Test("sizes are declared on kernels that can raise them: 6.5 and later", arguments: [
        ("6.5.0", true), ("6.18.0+deb13-amd64", true), ("7.0.1", true), ("6.4.16-1", false),
        ("5.15.0-91-generic", false), ("6", false), ("", false),
    ])
    func kernelGate(release: String, raises: Bool) {
        #expect(SetCapacity.raisesSizes(release: release) == raises)
    }

    @Test("the sizes of a batch are those of the sets it creates, from the elements it adds to them")
    func sizesOfABatch() {
        let capacity = SetCapacity(threshold: 100, granularity: 64)
        let existing = KernelSet(family: .ip, table: "switchyard", name: "other", flags: 0, keyType: 7, keyLength: 4)
        let operations = [
            KernelOperation(.addSet(Self.set), label: "add set"),
            Self.addElements(0..<150), Self.addElements(150..<200),
            KernelOperation(.addElements(existing, Self.elements(0..<500), labels: []), label: "add element to set other"),
        ]
        #expect(capacity.declaredSizes(for: operations) == [SetName(Self.set): 320])
    }

    @Test("a commit that outgrows a declared size raises it and commits every element",
          .enabled(if: kernelReason == nil, "skipped: \(kernelReason ?? "")"))
    func raisedWhenOutgrown() async throws {
        try await Self.withSmallCapacity("size") { ns, socket in
            try socket.apply([
                KernelOperation(.addTable(.ip, "switchyard"), label: "add table"),
                KernelOperation(.addSet(Self.set), label: "add set"),
                Self.addElements(0..<200),
            ])
            #expect(try socket.declaredSetSizes(family: .ip, table: "switchyard") == ["addresses": 320])
            let nft = try ns.runChecked(["nft", "list", "set", "ip", "switchyard", "addresses"])
            #expect(nft.contains("size 320"), "\(nft)")

            // 500 elements do not fit in 320: the size is raised in its own commit, then the batch goes in.
            let generation = try socket.generation()
            let summary = try socket.apply([Self.addElements(200..<500)], expectedGeneration: generation)
            #expect(summary.raisedSetSizes == ["ip switchyard addresses → 960"])
            #expect(try socket.declaredSetSizes(family: .ip, table: "switchyard") == ["addresses": 960])
            #expect(try socket.list(family: .ip, table: "switchyard").elements["addresses"]?.count == 500)

            // A flush and a refill of the same elements in one transaction fits the size it has.
            let set = Self.set
            try socket.apply([KernelOperation(.flushSet(set), label: "flush"), Self.addElements(0..<500)])
            #expect(try socket.declaredSetSizes(family: .ip, table: "switchyard") == ["addresses": 960])
        }
    }

    @Test("a set a batch creates is sized from every element the batch adds to it",
          .enabled(if: kernelReason == nil, "skipped: \(kernelReason ?? "")"))
    func createdLarger() async throws {
        try await Self.withSmallCapacity("grow") { ns, socket in
            // Two operations of the same batch add 200 elements each: the size counts both (600 → 640).
            let operations = [
                KernelOperation(.addTable(.ip, "switchyard"), label: "add table"),
                KernelOperation(.addSet(Self.set), label: "add set"),
                Self.addElements(0..<200), Self.addElements(200..<400),
            ]
            let summary = try socket.apply(operations)
            #expect(summary.raisedSetSizes.isEmpty, "\(summary.raisedSetSizes)")
            #expect(try socket.declaredSetSizes(family: .ip, table: "switchyard") == ["addresses": 640])
            #expect(try socket.list(family: .ip, table: "switchyard").elements["addresses"]?.count == 400)
        }
    }
}
