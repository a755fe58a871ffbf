import SwitchyardModel

/// What one informer knows: the slim objects of its collection by key, and the resourceVersion to
/// resume from. Turns a full list or a watch event into the `ClusterEvent`s that bring a consumer
/// from the previous state to the new one (nothing for an unchanged object).
struct InformerState: Sendable {
    private(set) var objects: [ObjectKey: ClusterObject] = [:]
    /// The last resourceVersion seen (list, event or bookmark); "" before the first list.
    var resourceVersion = ""

    /// A relist in progress: the keys listed so far and the objects that differ. A relist is taken
    /// in page by page, so an unchanged object's new copy is dropped at once and the state is never
    /// held twice (only what changed waits for the end of the list).
    struct Relist: Sendable {
        fileprivate var seen: Set<ObjectKey> = []
        fileprivate var changed: [ObjectKey: ClusterObject] = [:]
    }

    /// Starts a relist.
    func beginRelist() -> Relist {
        var relist = Relist()
        relist.seen.reserveCapacity(objects.count)
        return relist
    }

    /// Takes in one listed object of a relist.
    func relisted(_ object: ClusterObject, into relist: inout Relist) {
        relist.seen.insert(object.key)
        if objects[object.key] != object { relist.changed[object.key] = object }
    }

    /// Ends a relist: applies it and returns the events — added and updated in key order, then
    /// deleted in key order.
    mutating func finish(_ relist: Relist) -> [ClusterEvent] {
        var events: [ClusterEvent] = []
        for key in relist.changed.keys.sorted() {
            guard let object = relist.changed[key] else { continue }
            events.append(objects.updateValue(object, forKey: key) == nil ? .added(object) : .updated(object))
        }
        var deleted: [ObjectKey] = []
        for key in objects.keys where !relist.seen.contains(key) { deleted.append(key) }
        for key in deleted.sorted() {
            if let old = objects.removeValue(forKey: key) { events.append(.deleted(old)) }
        }
        return events
    }

    /// Replaces everything with a fresh list: added and updated in key order, then deleted in key order.
    mutating func replace(with listed: [ClusterObject]) -> [ClusterEvent] {
        var relist = beginRelist()
        for object in listed { relisted(object, into: &relist) }
        return finish(relist)
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
