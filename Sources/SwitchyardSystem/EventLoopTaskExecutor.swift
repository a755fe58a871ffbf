import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop. A task that prefers it
/// (`withTaskExecutorPreference`) resumes on that loop's thread, so when the loop's own channels
/// resume it (a body part handed to an async sequence) the job is queued in the loop, with no
/// wake-up of another thread.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
