import SwitchyardModel

/// What one informer knows: the slim objects of its collection by key, and the resourceVersion to
/// resume from. Turns a full list or a watch event into the `ClusterEvent`s that bring a consumer
/// from the previous state to the new one (nothing for an unchanged object).
struct InformerState: Sendable {
    private(set) var objects: [ObjectKey: ClusterObject] = [:]
    /// The last resourceVersion seen (list, event or bookmark); "" before the first list.
    var resourceVersion = ""

    /// Replaces everything with a fresh list: added and updated in key order, then deleted in key order.
    mutating func replace(with listed: [ClusterObject]) -> [ClusterEvent] {
        var next: [ObjectKey: ClusterObject] = [:]
        next.reserveCapacity(listed.count)
        for object in listed { next[object.key] = object }
        var events: [ClusterEvent] = []
        for key in next.keys.sorted() {
            guard let object = next[key] else { continue }
            switch objects[key] {
            case nil: events.append(.added(object))
            case let old? where old != object: events.append(.updated(object))
            default: break
            }
        }
        for key in objects.keys.sorted() where next[key] == nil {
            if let old = objects[key] { events.append(.deleted(old)) }
        }
        objects = next
        return events
    }

    /// An object was added or modified: `.added` if new, `.updated` if changed, nil if the same.
    mutating func upsert(_ object: ClusterObject) -> ClusterEvent? {
        let old = objects.updateValue(object, forKey: object.key)
        switch old {
        case nil: return .added(object)
        case let old? where old != object: return .updated(object)
        default: return nil
        }
    }

    /// An object went away (or became invalid): `.deleted` with the last known value, nil if unknown.
    mutating func remove(_ key: ObjectKey) -> ClusterEvent? {
        objects.removeValue(forKey: key).map(ClusterEvent.deleted)
    }

    /// Every object, sorted by key.
    var sorted: [ClusterObject] {
        objects.keys.sorted().compactMap { objects[$0] }
    }
}
