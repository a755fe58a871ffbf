/// An endpoint's `addresses`, stored so that the usual single address needs no allocation of its own.
///
/// Almost every endpoint has exactly one address (the API allows 1-100 and consumers such as
/// kube-proxy use only the first), so the first is kept inline and the rest in an array that stays
/// empty, and allocates nothing, for almost all endpoints. An `[IPAddress]` of one element is a
/// 64-byte heap block besides its 8-byte reference: at 1M endpoints that is ~64 MB.
public struct EndpointAddresses: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    // The reference first: the inline address (17 bytes) then ends the value, and the bytes up to
    // the next 8-byte boundary are free for the field a containing struct declares next
    // (``Endpoint/conditions``).
    private var tail: [IPAddress]
    private var head: IPAddress?

    public init(_ addresses: some Sequence<IPAddress>) {
        var iterator = addresses.makeIterator()
        head = iterator.next()
        tail = []
        while let address = iterator.next() { tail.append(address) }
    }

    public init(arrayLiteral addresses: IPAddress...) { self.init(addresses) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { head == nil ? 0 : 1 + tail.count }

    public subscript(position: Int) -> IPAddress {
        precondition(position >= 0 && position < endIndex, "EndpointAddresses index \(position) out of range")
        // `head` is non-nil whenever `position` is in range.
        return position == 0 ? head.unsafelyUnwrapped : tail[position - 1]
    }

    public var first: IPAddress? { head }

    public var description: String { Array(self).description }
}
