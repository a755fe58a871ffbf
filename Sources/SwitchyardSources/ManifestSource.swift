import Logging
import SwitchyardModel

/// Manifests on disk as a stream of event batches: the first batch adds every object of the first
/// load; after that the paths are polled and each change yields only the differences (added,
/// updated, deleted) against the previous load. One invalid object costs that object only: it is
/// left out of the first load, and keeps its previous version in a reload, reported as a warning
/// naming it and its problems, while everything else is applied. A reload with a problem of a whole
/// file (unreadable, a syntax error, an alias bomb, a duplicate) logs it and yields nothing, so the
/// previous state stays in force: which objects that file holds is unknown.
///
/// ```swift
/// for try await events in ManifestSource(paths: ["examples/cluster"]) {
///     store.apply(events)
/// }
/// ```
/// The first load throws its `ManifestError` when a file cannot be loaded. Iteration ends (nil)
/// when the task is cancelled. Polling compares file contents, so edits within one mtime tick and
/// atomic renames are both seen.
public struct ManifestSource: AsyncSequence, Sendable {
    /// One batch per load: the initial objects, then the differences of each good reload.
    public typealias Element = [ClusterEvent]
    /// Only the first load throws.
    public typealias Failure = ManifestError

    /// Files and directories, as for `ManifestLoader.load(paths:)`.
    public var paths: [String]
    public var loader: ManifestLoader
    /// How often the files are re-read and compared.
    public var pollInterval: Duration
    /// Told after each load what went wrong (e.g. to count it in metrics).
    public var observer: (@Sendable (ManifestLoadOutcome) -> Void)?

    /// Nothing happens until iteration starts; no task is started here.
    public init(
        paths: [String], loader: ManifestLoader = ManifestLoader(), pollInterval: Duration = .milliseconds(500),
        observer: (@Sendable (ManifestLoadOutcome) -> Void)? = nil
    ) {
        self.paths = paths
        self.loader = loader
        self.pollInterval = pollInterval
        self.observer = observer
    }

    /// A fresh iterator: its first `next()` loads.
    public func makeAsyncIterator() -> Iterator {
        Iterator(source: self)
    }

    /// Owns the last good load and the file contents it came from.
    public struct Iterator: AsyncIteratorProtocol {
        let source: ManifestSource
        var started = false
        var lastFiles: [ManifestFile] = []
        var lastProblems: [ManifestProblem] = []
        /// The objects of the last good load.
        public private(set) var current: [ClusterObject] = []
        /// The objects left out (or kept at their previous version) by the latest load, e.g.
        /// `Service default/web`.
        public private(set) var invalidObjects: [String] = []

        init(source: ManifestSource) {
            self.source = source
        }

        /// The initial `added` batch, then the next non-empty difference; nil once the task is cancelled.
        public mutating func next() async throws(ManifestError) -> [ClusterEvent]? {
            if !started {
                started = true
                let (files, problems) = ManifestFiles.read(source.paths)
                lastFiles = files
                lastProblems = problems
                let load = source.loader.loadSkippingInvalid(files: files, problems: problems)
                source.observer?(ManifestLoadOutcome(failed: !load.problems.isEmpty, invalidObjects: load.invalidObjects.count))
                guard load.problems.isEmpty else {
                    throw ManifestError(problems: load.problems + load.invalidObjects.flatMap(\.problems))
                }
                report(load.invalidObjects)
                current = load.objects
                return current.map(ClusterEvent.added)
            }
            while true {
                do {
                    try await Task.sleep(for: source.pollInterval)
                } catch {
                    return nil
                }
                let (files, problems) = ManifestFiles.read(source.paths)
                guard files != lastFiles || problems != lastProblems else { continue }
                lastFiles = files
                lastProblems = problems
                let load = source.loader.loadSkippingInvalid(files: files, problems: problems)
                source.observer?(ManifestLoadOutcome(failed: !load.problems.isEmpty, invalidObjects: load.invalidObjects.count))
                guard load.problems.isEmpty else {
                    source.loader.logger.error("manifests changed but do not load; keeping the previous state", metadata: [
                        "problems": "\(load.problems.count)",
                    ])
                    for problem in load.problems { source.loader.logger.error("\(problem)") }
                    continue
                }
                report(load.invalidObjects)
                // An object made invalid keeps its previous version: the bad edit costs that edit.
                let invalid = Set(load.invalidObjects.map(\.object))
                let objects = load.objects + current.filter { invalid.contains(ObjectIdentity($0).description) }
                let events = ClusterDiff.events(from: current, to: objects)
                current = objects
                if !events.isEmpty { return events }
            }
        }

        /// Logs each invalid object as a Kubernetes Event would show it: the object, the reason,
        /// every problem.
        private mutating func report(_ invalid: [ManifestLoad.InvalidObject]) {
            invalidObjects = invalid.map(\.object)
            for item in invalid {
                source.loader.logger.warning("skipping an invalid object; everything else is applied", metadata: [
                    "object": "\(item.object)", "reason": "InvalidObject",
                    "problems": "\(item.problems.map(\.description).joined(separator: "; "))",
                ])
            }
        }
    }
}

/// What one load of the manifests came to, for metrics.
public struct ManifestLoadOutcome: Sendable, Hashable {
    /// A file could not be loaded (I/O, syntax, …): nothing of this load was applied.
    public var failed: Bool
    /// Objects left out or kept at their previous version (``ManifestSource/Iterator/invalidObjects``).
    public var invalidObjects: Int

    public init(failed: Bool, invalidObjects: Int) {
        self.failed = failed
        self.invalidObjects = invalidObjects
    }
}
