import SwitchyardModel

/// The events that turn one full set of objects into another.
public enum ClusterDiff {
    /// `added` and `updated` in the order of `new`, then `deleted` in the order of `old`. Objects are
    /// the same object when kind, namespace and name match; unchanged objects produce no event.
    public static func events(from old: [ClusterObject], to new: [ClusterObject]) -> [ClusterEvent] {
        var previous: [ObjectIdentity: ClusterObject] = [:]
        for object in old { previous[ObjectIdentity(object)] = object }
        var events: [ClusterEvent] = []
        var kept: Set<ObjectIdentity> = []
        for object in new {
            let identity = ObjectIdentity(object)
            kept.insert(identity)
            switch previous[identity] {
            case nil: events.append(.added(object))
            case let before? where before != object: events.append(.updated(object))
            default: break
            }
        }
        for object in old where !kept.contains(ObjectIdentity(object)) {
            events.append(.deleted(object))
        }
        return events
    }
}
