import NIOCore
import Synchronization

/// A bounded cache of upstream replies keyed by question (name lowercased) and DO bit. Entries live
/// for the smallest answer TTL (at most 3600 s), or for negative replies for the SOA's
/// min(TTL, MINIMUM) (at most 1800 s); replies without a usable TTL are not cached. Served entries
/// have their TTLs reduced by the time they spent in the cache.
public final class ForwarderCache: Sendable {
    struct Key: Hashable {
        var name: [UInt8]
        var type: UInt16
        var recordClass: UInt16
        var dnssecOK: Bool
    }

    struct Entry {
        var message: DNSMessage
        var stored: NIODeadline
        var expires: NIODeadline
    }

    struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order, for evicting the oldest when full.
        var order: [Key] = []
        var head = 0
    }

    public let capacity: Int
    /// The longest a negative reply (NXDOMAIN, NODATA) is cached, in seconds (CoreDNS `cache`'s
    /// denial TTL cap).
    public let negativeTTLCap: UInt32
    private let state = Mutex(State())

    public init(capacity: Int = 10_000, negativeTTLCap: UInt32 = 1800) {
        self.capacity = max(1, capacity)
        self.negativeTTLCap = negativeTTLCap
    }

    static func key(_ question: Question, dnssecOK: Bool) -> Key {
        Key(name: DNSName.lowercase(question.name.wire), type: question.type.rawValue,
            recordClass: question.recordClass.rawValue, dnssecOK: dnssecOK)
    }

    /// How long a reply may be cached, in seconds; nil when it must not be.
    static func lifetime(of message: DNSMessage, negativeTTLCap: UInt32 = 1800) -> UInt32? {
        switch message.rcode {
        case .noError where !message.answers.isEmpty:
            guard let ttl = message.answers.map(\.ttl).min(), ttl > 0 else { return nil }
            return min(ttl, 3600)
        case .noError, .nameError:
            for rr in message.authority {
                if case .soa(let soa) = rr.data {
                    let ttl = min(rr.ttl, soa.minimum)
                    let capped = min(ttl, negativeTTLCap)
                    return capped > 0 ? capped : nil
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// A cached reply with TTLs aged, or nil.
    public func lookup(_ question: Question, dnssecOK: Bool, now: NIODeadline = .now()) -> DNSMessage? {
        let key = Self.key(question, dnssecOK: dnssecOK)
        guard let entry = state.withLock({ $0.entries[key] }) else { return nil }
        guard entry.expires > now else {
            state.withLock { _ = $0.entries.removeValue(forKey: key) }
            return nil
        }
        let age = UInt32(clamping: (now - entry.stored).nanoseconds / 1_000_000_000)
        var message = entry.message
        func aged(_ rrs: [ResourceRecord]) -> [ResourceRecord] {
            rrs.map { rr in
                var copy = rr
                copy.ttl = rr.ttl > age ? rr.ttl - age : 0
                return copy
            }
        }
        message.answers = aged(message.answers)
        message.authority = aged(message.authority)
        message.additional = aged(message.additional)
        return message
    }

    /// Stores a reply if its TTLs allow.
    public func store(_ message: DNSMessage, for question: Question, dnssecOK: Bool, now: NIODeadline = .now()) {
        guard !message.flags.truncated, let lifetime = Self.lifetime(of: message, negativeTTLCap: negativeTTLCap) else { return }
        let key = Self.key(question, dnssecOK: dnssecOK)
        let entry = Entry(message: message, stored: now, expires: now + .seconds(Int64(lifetime)))
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: key) == nil { state.order.append(key) }
            if state.entries.count > capacity {
                state.entries = state.entries.filter { $0.value.expires > now }
            }
            while state.entries.count > capacity, state.head < state.order.count {
                state.entries.removeValue(forKey: state.order[state.head])
                state.head += 1
            }
            if state.head > capacity {
                state.order = state.order[state.head...].filter { state.entries[$0] != nil }
                state.head = 0
            }
        }
    }

    /// How many replies are cached.
    public var count: Int { state.withLock { $0.entries.count } }
}
