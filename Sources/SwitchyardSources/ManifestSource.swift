import Logging
import SwitchyardModel

/// Manifests on disk as a stream of event batches: the first batch adds every object of the first
/// load; after that the paths are polled and each change that loads cleanly yields only the
/// differences (added, updated, deleted) against the last good load. A reload with problems logs
/// them and yields nothing, so the previous good state stays in force.
///
/// ```swift
/// for try await events in ManifestSource(paths: ["examples/cluster"]) {
///     store.apply(events)
/// }
/// ```
/// The first load throws its `ManifestError` when the manifests are invalid. Iteration ends (nil)
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

    /// Nothing happens until iteration starts; no task is started here.
    public init(paths: [String], loader: ManifestLoader = ManifestLoader(), pollInterval: Duration = .milliseconds(500)) {
        self.paths = paths
        self.loader = loader
        self.pollInterval = pollInterval
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
                current = try source.loader.load(files: files, problems: problems)
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
                let objects: [ClusterObject]
                do {
                    objects = try source.loader.load(files: files, problems: problems)
                } catch {
                    source.loader.logger.error("manifests changed but do not load; keeping the previous state", metadata: [
                        "problems": "\(error.problems.count)",
                    ])
                    for problem in error.problems { source.loader.logger.error("\(problem)") }
                    continue
                }
                let events = ClusterDiff.events(from: current, to: objects)
                current = objects
                if !events.isEmpty { return events }
            }
        }
    }
}
