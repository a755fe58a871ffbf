import SwitchyardModel

/// What one informer knows: the keys of its collection's objects, and the resourceVersion to resume
/// from. The objects themselves are kept once, by the consumer's store: the informer delivers every
/// listed or watched object (the store drops the ones it already holds) and needs the keys only to
/// tell a consumer which objects a relist no longer has, or to ignore deletions of unknown objects.
struct InformerState: Sendable {
    private(set) var keys: Set<ObjectKey> = []
    /// The last resourceVersion seen (list, event or bookmark); "" before the first list.
    var resourceVersion = ""

    /// A relist in progress: the keys listed so far. A relist is taken in page by page and its
    /// objects are delivered as they come, so the collection is never held twice.
    struct Relist: Sendable {
        fileprivate var seen: Set<ObjectKey> = []
    }

    /// Starts a relist.
    func beginRelist() -> Relist {
        var relist = Relist()
        relist.seen.reserveCapacity(keys.count)
        return relist
    }

    /// Takes in one listed object of a relist: `.added` if its key is new, `.updated` otherwise
    /// (possibly unchanged; the consumer compares). The key is known from now on, so a relist that
    /// fails halfway leaves no delivered object the next one could not delete.
    mutating func relisted(_ object: ClusterObject, into relist: inout Relist) -> ClusterEvent {
        relist.seen.insert(object.key)
        return upsert(object)
    }

    /// Ends a relist: takes the listed keys and returns the deletions of the objects it did not
    /// list, in key order.
    mutating func finish(_ relist: Relist, kind: ResourceKind) -> [ClusterEvent] {
        let deleted = keys.subtracting(relist.seen).sorted()
        keys = relist.seen
        return deleted.map { .deleted(kind, $0) }
    }

    /// Replaces everything with a fresh list: each listed object (added or updated), then the
    /// deletions in key order.
    mutating func replace(with listed: [ClusterObject], kind: ResourceKind) -> [ClusterEvent] {
        var relist = beginRelist()
        var events: [ClusterEvent] = []
        for object in listed { events.append(relisted(object, into: &relist)) }
        return events + finish(relist, kind: kind)
    }

    /// An object was added or modified: `.added` if its key is new, `.updated` otherwise.
    mutating func upsert(_ object: ClusterObject) -> ClusterEvent {
        keys.insert(object.key).inserted ? .added(object) : .updated(object)
    }

    /// An object went away (or became invalid): its deletion, nil if its key is unknown.
    mutating func remove(_ key: ObjectKey, kind: ResourceKind) -> ClusterEvent? {
        keys.remove(key).map { .deleted(kind, $0) }
    }
}
