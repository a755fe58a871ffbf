import Logging
import SwitchyardModel

/// The sync loop's log lines: one per sync, saying what changed and how long each phase took, and
/// warnings that say what happens next and what to check.
enum SyncLog {
    static func succeeded(_ report: SyncReport, logger: Logger) {
        let phases = report.phases.map { "\($0.name)=\(milliseconds($0.duration))" }.joined(separator: " ")
        let quiet = report.kind == .resync ? !report.drifted
            : report.kind == .full && report.programming.operations == 0 && report.serviceChanges == 0 && report.endpointChanges == 0
        var metadata: Logger.Metadata = [
            "kind": "\(report.kind.rawValue)",
            "services_changed": "\(report.serviceChanges)",
            "endpoints_changed": "\(report.endpointChanges)",
            "replanned": "\(report.replannedServices)",
            "operations": "\(report.programming.operations)",
            "netlink_messages": "\(report.programming.messages)",
            "netlink_bytes": "\(report.programming.bytes)",
            "conntrack_deleted": "\(report.conntrackDeleted)",
            "service_ports": "\(report.servicePorts)",
            "phases": "\(phases)",
            "total": "\(milliseconds(report.total))",
        ]
        if report.programming.rewrittenElements > 0 {
            // Sets too large to read back were rewritten whole (not drift: their contents are unknown).
            metadata["rewritten_elements"] = "\(report.programming.rewrittenElements)"
        }
        logger.log(level: quiet ? .debug : .info, "synced", metadata: metadata)
        for raised in report.programming.raisedSetSizes {
            logger.notice("raised an nftables set's declared size before committing: the set outgrew it", metadata: ["set": "\(raised)"])
        }
        for conflict in report.loadBalancerConflicts {
            logger.warning("load-balancer IP and port claimed by two Services: the older keeps it, as Kubernetes resolves port conflicts", metadata: [
                "shadowed": "\(conflict)",
            ])
        }
        for ignored in report.ignoredDispatchAnnotations {
            logger.warning("switchyard.dev/dispatch names no dispatch model; --dispatch applies (\(DispatchModel.allCases.map(\.rawValue).joined(separator: ", ")))",
                           metadata: ["service": "\(ignored)"])
        }
    }

    static func failed(_ error: any Error, failures: Int, retryIn: Duration, healthTimeout: Duration, logger: Logger) {
        logger.warning("sync failed; the rules programmed before stay in place. Retrying as a full sync (read back and repair) after a backoff. If it keeps failing, check that switchyard runs as root (CAP_NET_ADMIN), that the --netns namespace exists, and the kernel error below; /healthz turns 503 once syncs have failed for 2 × sync period", metadata: [
            "error": "\(error)",
            "consecutive_failures": "\(failures)",
            "retry_in": "\(milliseconds(retryIn))",
            "unhealthy_after": "\(milliseconds(healthTimeout))",
        ])
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.nanoseconds) / 1e6
        return ms < 10 ? "\((ms * 100).rounded() / 100)ms" : "\(Int(ms.rounded()))ms"
    }
}
