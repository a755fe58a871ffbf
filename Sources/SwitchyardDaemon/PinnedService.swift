import ServiceLifecycle

/// A service whose tasks prefer one executor: the daemon runs its Kubernetes informers and its sync
/// loop on the API client's event loop (``EventLoopTaskExecutor``), so a watch event goes from the
/// socket through decoding into the store on one thread. On the global executor each event woke
/// two threads (the informer's task, then the sync loop's): futex and scheduler work, ~10% of the
/// daemon's samples under churn at 10,000 × 10.
struct PinnedService<Base: ServiceLifecycle.Service>: ServiceLifecycle.Service {
    var base: Base
    var executor: any TaskExecutor

    func run() async throws {
        try await withTaskExecutorPreference(executor) { try await base.run() }
    }
}
