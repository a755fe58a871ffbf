import Dispatch
import Logging
import SwitchyardModel
import SwitchyardNetlink
import SwitchyardNFT
import SwitchyardSystem

/// The real backend: a ``NetfilterProgrammer`` in one network namespace, used only from one serial
/// queue, so its blocking netlink calls never run on the Swift concurrency pool.
public final class KernelBackend: SyncBackend, @unchecked Sendable {
    // Safety: `programmer` is touched only on `queue` (serial), after `init`.
    private let programmer: NetfilterProgrammer
    private let queue: DispatchQueue
    private let logger: Logger

    /// Opens the netfilter socket in `namespace` (fails without CAP_NET_ADMIN or a missing namespace).
    public init(namespace: NetworkNamespace, logger: Logger) throws(NetlinkError) {
        programmer = try NetfilterProgrammer(namespace: namespace, followingEvents: true)
        queue = DispatchQueue(label: "switchyard.netlink")
        self.logger = logger
    }

    public func commit(_ transaction: Transaction) async throws -> ProgrammingReport {
        try await onQueue {
            let summary = try $0.commit(transaction)
            return ProgrammingReport(operations: transaction.count, messages: summary.messages, bytes: summary.bytes,
                                     raisedSetSizes: summary.raisedSetSizes)
        }
    }

    public func reconcile(to wanted: Ruleset) async throws -> ProgrammingReport {
        try await onQueue {
            let summary = try $0.reconcile(to: wanted, tables: OwnedTables.all)
            return ProgrammingReport(
                operations: summary.operations, messages: summary.commit?.messages ?? 0, bytes: summary.commit?.bytes ?? 0,
                rewrittenElements: summary.rewritten, raisedSetSizes: summary.commit?.raisedSetSizes ?? [])
        }
    }

    public func isUntouchedSinceLastWrite() async -> Bool {
        let logger = logger
        return (try? await onQueue { programmer in
            do {
                return try programmer.isUntouchedSinceLastCommit()
            } catch {
                logger.warning("could not read the ruleset generation; reading the tables back instead", metadata: ["error": "\(error)"])
                return false
            }
        }) ?? false
    }

    public func hostAddresses() async -> [IPAddress]? {
        let logger = logger
        return try? await onQueue { programmer in
            do {
                return try HostAddresses.list(in: programmer.namespace)
            } catch {
                logger.warning("could not list the interface addresses; NodePort addresses stay as they were", metadata: ["error": "\(error)"])
                throw error
            }
        }
    }

    public func deleteConntrack(matching filters: [ConntrackFilter]) async -> Int {
        guard !filters.isEmpty else { return 0 }
        let logger = logger
        return (try? await onQueue { programmer in
            do {
                return try programmer.deleteConntrack(matchingAny: filters)
            } catch {
                logger.warning("could not delete stale UDP conntrack entries; clients may keep hitting a removed endpoint until the entry times out", metadata: [
                    "filters": "\(filters.count)", "first": "\(filters[0])", "error": "\(error)",
                ])
                return 0
            }
        }) ?? 0
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (NetfilterProgrammer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result { try body(self.programmer) })
            }
        }
    }
}
