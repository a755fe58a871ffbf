import Logging
import NIOCore
import SwitchyardModel

extension KubernetesSource {
    /// Everything a `KubernetesSource` needs: the connection, what to follow, and the informer
    /// timings. A value; `switchyard run --kubeconfig FILE [--context NAME]` or `--in-cluster`
    /// builds one.
    public struct Configuration: Sendable {
        public var connection: KubernetesConnection
        /// This node's name: only its Node object is watched (`metadata.name=NODE`). nil watches all
        /// nodes (small clusters, tests).
        public var nodeName: String?
        /// Follow Pods (DNS pod records). kube-proxy does not need them; off saves memory at scale.
        public var watchPods: Bool
        /// Without ``watchPods``: follow this node's pods only (node-local autopath).
        public var watchLocalPods = false
        /// Objects per LIST page (`limit`).
        public var pageSize: Int
        /// The server closes each watch after this long (`timeoutSeconds`); it is then resumed.
        public var watchTimeoutSeconds: Int
        /// First retry delay after a failure; doubles up to `maximumBackoff`, jittered.
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// The cluster's NodePort range, for validating Services.
        public var nodePortRange: ClosedRange<Int>
        /// Informer messages (lists, relists, failures) go here, with `resource` metadata.
        public var logger: Logger
        /// Told whether an optional collection (Namespaces, Pods, ServiceCIDRs) could be listed: false after a
        /// 403 or 404, true after a list succeeded (e.g. for a metric).
        public var availability: (@Sendable (ResourceKind, Bool) -> Void)?
        /// The event loops the API connections run on (nil: AsyncHTTPClient's shared group). The
        /// daemon passes the one loop its informers and sync loop run on (``EventLoopTaskExecutor``).
        public var eventLoopGroup: (any EventLoopGroup)?

        public init(
            connection: KubernetesConnection,
            nodeName: String? = nil,
            watchPods: Bool = true,
            pageSize: Int = 500,
            watchTimeoutSeconds: Int = 300,
            initialBackoff: Duration = .milliseconds(200),
            maximumBackoff: Duration = .seconds(30),
            nodePortRange: ClosedRange<Int> = 30000...32767,
            logger: Logger = Logger(label: "switchyard.kubernetes")
        ) {
            self.connection = connection
            self.nodeName = nodeName
            self.watchPods = watchPods
            self.pageSize = pageSize
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.nodePortRange = nodePortRange
            self.logger = logger
        }

        /// The collections followed, in the order the first batch lists them.
        public var resources: [KubernetesResource] {
            var resources: [KubernetesResource] = [
                .namespaces, .nodes(named: nodeName),
                .services, .endpointSlices, .serviceCIDRs,
            ]
            if watchPods {
                resources.append(.pods)
            } else if watchLocalPods, let nodeName {
                resources.append(.pods(onNode: nodeName))
            }
            return resources
        }
    }
}
