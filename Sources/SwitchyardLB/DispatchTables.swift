import SwitchyardModel
/// Builds the dispatch table of an endpoint set for the configured model.
public enum DispatchTables {
    /// The table for `endpoints` (sorted) under `model`:
    /// - `chains`: no slots.
    /// - `random`, `roundrobin`, `sourcehash`: N slots, slot i → endpoint i.
    /// - `maglev`: M = `sizing.tableSize(for: N)` slots filled by ``Maglev/table(for:size:)``.
    public static func table(
        for endpoints: [EndpointAddress], model: DispatchModel, maglevSizing: MaglevSizing = .default
    ) -> DispatchTable {
        guard !endpoints.isEmpty else { return DispatchTable(model: model, slots: []) }
        switch model {
        case .chains:
            return DispatchTable(model: model, slots: [])
        case .random, .roundrobin, .sourcehash:
            return DispatchTable(model: model, slots: Array(endpoints.indices))
        case .maglev:
            let size = maglevSizing.tableSize(for: endpoints.count)
            return DispatchTable(model: model, slots: Maglev.table(for: endpoints, size: size))
        }
    }

    static func set(_ endpoints: [EndpointAddress], ifEmpty: NoEndpointsVerdict, model: DispatchModel, config: ProxyConfig) -> EndpointSet {
        EndpointSet(
            endpoints: endpoints,
            table: table(for: endpoints, model: model, maglevSizing: config.maglevSizing),
            ifEmpty: ifEmpty
        )
    }
}
