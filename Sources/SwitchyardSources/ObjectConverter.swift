import SwitchyardModel

/// The outcome of converting one decoded API object.
public enum Conversion: Sendable, Hashable {
    /// A followed kind, converted and valid.
    case object(ClusterObject)
    /// A kind Switchyard does not follow (ConfigMap, Deployment, …).
    case skipped(apiVersion: String, kind: String)
    /// A followed kind with problems; `object` names it, e.g. `Service default/web`.
    case invalid(object: String, problems: [ObjectProblem])
}

/// Converts one decoded Kubernetes object (`APIValue`) into its slim model value, once, at the edge,
/// and validates it. Used by `ManifestLoader` and meant for the API server source as well.
public struct ObjectConverter: Sendable {
    /// The semantic rules applied after conversion.
    public var validator: ObjectValidator

    /// - Parameter nodePortRange: the cluster's `--service-node-port-range`.
    public init(nodePortRange: ClosedRange<Int> = 30000...32767) {
        self.validator = ObjectValidator(nodePortRange: nodePortRange)
    }

    /// The apiVersion each followed kind is served as.
    public static let followedKinds: [String: (apiVersion: String, kind: ResourceKind)] = [
        "Namespace": ("v1", .namespace),
        "Service": ("v1", .service),
        "Pod": ("v1", .pod),
        "Node": ("v1", .node),
        "EndpointSlice": ("discovery.k8s.io/v1", .endpointSlice),
        "ServiceCIDR": ("networking.k8s.io/v1", .serviceCIDR),
    ]

    /// Converts and validates one object. Every problem found is reported, not only the first.
    public func convert(_ value: APIValue) -> Conversion {
        var reader = FieldReader()
        guard case .object = value else {
            return .invalid(object: "", problems: [ObjectProblem(field: "", message: "must be a mapping, not \(value.typeDescription)")])
        }
        let apiVersion = reader.string(value["apiVersion"], "apiVersion")
        let kind = reader.string(value["kind"], "kind")
        guard let kind, !kind.isEmpty else {
            if kind == nil, reader.log.isEmpty { reader.log.add("kind", "is required") }
            return .invalid(object: "", problems: reader.log.problems)
        }
        guard let (expectedVersion, resourceKind) = Self.followedKinds[kind] else {
            return .skipped(apiVersion: apiVersion ?? "", kind: kind)
        }
        let name = Self.describe(kind: resourceKind, value)
        guard let apiVersion else {
            if reader.log.isEmpty { reader.log.add("apiVersion", "is required") }
            return .invalid(object: name, problems: reader.log.problems)
        }
        if apiVersion != expectedVersion {
            reader.log.add("apiVersion", "\(kind) is read as apiVersion \(expectedVersion), not \(apiVersion)")
            return .invalid(object: name, problems: reader.log.problems)
        }

        let object: ClusterObject? = switch resourceKind {
        case .namespace: ClusterScopedConversion.namespace(value, &reader).map(ClusterObject.namespace)
        case .service: ServiceConversion.service(value, &reader).map(ClusterObject.service)
        case .endpointSlice: EndpointSliceConversion.endpointSlice(value, &reader).map(ClusterObject.endpointSlice)
        case .pod: PodConversion.pod(value, &reader).map(ClusterObject.pod)
        case .node: ClusterScopedConversion.node(value, &reader).map(ClusterObject.node)
        case .serviceCIDR: ClusterScopedConversion.serviceCIDR(value, &reader).map(ClusterObject.serviceCIDR)
        }
        var problems = reader.log.problems
        if let object { problems += validator.validate(object) }
        problems = FieldPath.sorted(problems)
        guard let object, problems.isEmpty else { return .invalid(object: name, problems: problems) }
        return .object(object)
    }

    /// A document's objects with their field prefix: the document itself, or the items of a `List`
    /// (`kind: List`, or a typed list such as the API server's `ServiceList`, whose items omit kind and
    /// apiVersion; they are filled in from the list) with prefixes `items[0].`, `items[1].`, ….
    public static func items(of value: APIValue) -> [(prefix: String, value: APIValue)] {
        guard case .string(let kind)? = value["kind"], kind.hasSuffix("List"), case .array(let items)? = value["items"]
        else { return [("", value)] }
        let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
        return items.enumerated().map { index, item in
            guard let itemKind, case .object(var pairs) = item else { return ("items[\(index)].", item) }
            if item["kind"] == nil { pairs.insert(("kind", .string(itemKind)), at: 0) }
            if item["apiVersion"] == nil, let version = value["apiVersion"] { pairs.insert(("apiVersion", version), at: 0) }
            return ("items[\(index)].", .object(pairs))
        }
    }

    /// `Service default/web`, `Node node-1`; `<unnamed>` when metadata.name is missing.
    static func describe(kind: ResourceKind, _ value: APIValue) -> String {
        let name = value["metadata"]?["name"]?.stringValue ?? "<unnamed>"
        switch kind {
        case .namespace, .node, .serviceCIDR:
            return "\(kind.rawValue) \(name)"
        case .service, .endpointSlice, .pod:
            let namespace = value["metadata"]?["namespace"]?.stringValue ?? "default"
            return "\(kind.rawValue) \(namespace)/\(name)"
        }
    }
}

extension Optional where Wrapped == String {
    /// nil for a missing or empty string.
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
