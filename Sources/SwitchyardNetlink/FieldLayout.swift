import SwitchyardNFT

/// How one field of a set key, map data or concatenation sits in registers and element bytes: nft's
/// datatype id, its length, its byte order, and its `typeof` description.
struct FieldLayout: Hashable {
    /// nft's datatype id (`TYPE_IPADDR` = 7, …).
    var type: UInt32
    /// Length in bytes; in a concatenation each field is padded to 4 bytes.
    var length: Int
    /// nft's byte order of the type: 1 host, 2 big endian.
    var byteOrder: UInt32
    /// What nft records for `typeof` (nil for fields declared by `type`).
    var typeof: TypeofExpression?

    /// Bytes the field takes in a concatenation (registers are 4 bytes wide).
    var paddedLength: Int { (length + 3) & ~3 }

    /// What encoding a value needs (type and length), as a plain value: copying a ``FieldLayout``
    /// retains its `typeof`, which showed in the per-element loop of a full sync.
    var encoding: FieldEncoding { FieldEncoding(type: type, length: length) }

    static let ipv4 = FieldLayout(type: 7, length: 4, byteOrder: 2)
    static let ipv6 = FieldLayout(type: 8, length: 16, byteOrder: 2)
    static let proto = FieldLayout(type: 12, length: 1, byteOrder: 1)
    static let service = FieldLayout(type: 13, length: 2, byteOrder: 2)
    static let mark = FieldLayout(type: 19, length: 4, byteOrder: 1)
    static let integer = FieldLayout(type: 4, length: 4, byteOrder: 1)

    init(type: UInt32, length: Int, byteOrder: UInt32, typeof: TypeofExpression? = nil) {
        self.type = type
        self.length = length
        self.byteOrder = byteOrder
        self.typeof = typeof
    }

    /// The layout of a `type` field.
    init(_ type: DataType) throws(LoweringError) {
        switch type {
        case .ipv4Address: self = .ipv4
        case .ipv6Address: self = .ipv6
        case .inetProto: self = .proto
        case .inetService: self = .service
        case .mark: self = .mark
        case .integer: throw LoweringError(object: "type integer", reason: "integer has no fixed size; declare the key with typeof")
        }
    }

    /// The layout of a `typeof` field.
    init(_ expression: Expression) throws(LoweringError) {
        switch expression {
        case .payload(let field):
            switch field {
            case .ipSaddr: self = .ipv4.with(.ipSaddr)
            case .ipDaddr: self = .ipv4.with(.ipDaddr)
            case .ip6Saddr: self = .ipv6.with(.ip6Saddr)
            case .ip6Daddr: self = .ipv6.with(.ip6Daddr)
            case .thSport: self = .service.with(.payload(descriptor: 11, field: 1))
            case .thDport: self = .service.with(.thDport)
            // nft's protocol descriptor ids: udp 6, tcp 8, th 11 (verified against nft's listing).
            case .tcpSport: self = .service.with(.payload(descriptor: 8, field: 1))
            case .tcpDport: self = .service.with(.payload(descriptor: 8, field: 2))
            case .udpSport: self = .service.with(.payload(descriptor: 6, field: 1))
            case .udpDport: self = .service.with(.payload(descriptor: 6, field: 2))
            }
        case .meta(.l4proto): self = .proto.with(.l4proto)
        case .meta(.mark): self = .mark.with(.meta(key: 3))
        case .numgen(let mode, let modulus, _): self = .integer.with(.numgen(incremental: mode == .inc, modulus: modulus))
        default:
            throw LoweringError(object: "typeof \(expression)", reason: "no kernel layout for this expression in a set key")
        }
    }

    private func with(_ typeof: TypeofExpression) -> FieldLayout {
        var copy = self
        copy.typeof = typeof
        return copy
    }

    /// The first and last (inclusive) bytes of a value that may be a range (a prefix); a plain value
    /// is a range of one.
    func range(of value: Value, in object: @autoclosure () -> String) throws(LoweringError) -> (start: [UInt8], end: [UInt8]) {
        guard case .prefix(let prefix) = value else {
            let bytes = try bytes(of: value, in: object())
            return (bytes, bytes)
        }
        guard (type == 7 && prefix.address.family == .ip) || (type == 8 && prefix.address.family == .ip6) else {
            throw LoweringError(object: object(), reason: "prefix \(prefix) does not fit a field of type \(type)")
        }
        let start = prefix.address.bytes
        let end = start.enumerated().map { index, byte -> UInt8 in
            let bits = max(0, min(8, prefix.length - index * 8))
            return byte | (bits == 8 ? 0 : UInt8(0xff) >> UInt8(bits))
        }
        return (start, end)
    }

    /// The bytes of one value of this field (unpadded).
    func bytes(of value: Value, in object: @autoclosure () -> String) throws(LoweringError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encoding.append(value, to: &bytes, in: object())
        return bytes
    }
}

/// A field's datatype id and length: all that encoding one value needs.
struct FieldEncoding: Hashable {
    var type: UInt32
    var length: Int

    /// Appends the bytes of one value of this field (unpadded) without building intermediate arrays:
    /// this runs for every element of a full sync.
    @inline(__always)
    func append(_ value: Value, to bytes: inout [UInt8], in object: @autoclosure () -> String) throws(LoweringError) {
        switch (value, type) {
        case (.address(.v4(let bits)), 7):
            appendBigEndian(UInt64(bits), count: 4, to: &bytes)
        case (.address(.v6(let high, let low)), 8):
            appendBigEndian(high, count: 8, to: &bytes)
            appendBigEndian(low, count: 8, to: &bytes)
        case (.proto(let proto), 12):
            bytes.append(proto.rawValue)
        case (.port(let port), 13):
            appendBigEndian(UInt64(port), count: 2, to: &bytes)
        case (.integer(let number), _) where length == 4, (.mark(let number), _) where length == 4:
            // Host byte order (numgen, jhash and meta mark results are host-endian registers).
            withUnsafeBytes(of: number.littleEndian) { bytes.append(contentsOf: $0) }
        default:
            throw LoweringError(object: object(), reason: "value \(value) does not fit a field of type \(type)")
        }
    }

    @inline(__always)
    private func appendBigEndian(_ value: UInt64, count: Int, to bytes: inout [UInt8]) {
        var shift = 8 * (count - 1)
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }
}

/// The layout of a whole key or data spec: its fields, total length, and the set-level attributes.
struct KeyLayout: Hashable {
    let fields: [FieldLayout]
    /// Per field, what encoding a value needs: derived once, read per element.
    let encodings: [FieldEncoding]
    /// Key length: the padded sum for concatenations, the field's own length otherwise.
    let length: Int

    init(_ spec: KeySpec) throws(LoweringError) {
        var fields: [FieldLayout] = []
        switch spec {
        case .types(let types):
            for type in types { fields.append(try FieldLayout(type)) }
        case .typeOf(let expressions):
            for expression in expressions { fields.append(try FieldLayout(expression)) }
        }
        self.fields = fields
        encodings = fields.map(\.encoding)
        length = fields.count > 1 ? fields.reduce(0) { $0 + $1.paddedLength } : fields.first?.length ?? 0
    }

    var isConcatenation: Bool { fields.count > 1 }

    /// nft's concatenated type id: 6 bits per field, first field highest.
    var type: UInt32 { fields.reduce(0) { $0 << 6 | $1.type } }

    /// Byte order recorded in user data: none (0) for concatenations.
    var byteOrder: UInt32 { isConcatenation ? 0 : fields.first?.byteOrder ?? 0 }

    /// The `typeof` description, when the spec was declared with typeof.
    var typeof: TypeofExpression? {
        let parts = fields.compactMap(\.typeof)
        guard parts.count == fields.count, !parts.isEmpty else { return nil }
        return parts.count == 1 ? parts[0] : .concat(parts)
    }

    /// The first and last keys of a tuple whose fields may be ranges, each field padded.
    func range(of values: FieldTuple, in object: @autoclosure () -> String) throws(LoweringError) -> (start: [UInt8], end: [UInt8]) {
        guard values.count == fields.count else {
            throw LoweringError(object: object(), reason: "\(values.count) values for \(fields.count) fields")
        }
        var start: [UInt8] = [], end: [UInt8] = []
        for (field, value) in zip(fields, values) {
            let (first, last) = try field.range(of: value, in: object())
            let padding = isConcatenation ? field.paddedLength - first.count : 0
            start += first + repeatElement(0, count: padding)
            end += last + repeatElement(0, count: padding)
        }
        return (start, end)
    }

    /// The bytes of a key or data tuple, each field padded in concatenations.
    func bytes(of values: FieldTuple, in object: @autoclosure () -> String) throws(LoweringError) -> [UInt8] {
        guard values.count == fields.count else {
            throw LoweringError(object: object(), reason: "\(values.count) values for \(fields.count) fields")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        let concatenation = encodings.count > 1
        for index in encodings.indices {
            let start = bytes.count
            try encodings[index].append(values[index], to: &bytes, in: object())
            if concatenation {
                while (bytes.count - start) & 3 != 0 { bytes.append(0) }
            }
        }
        return bytes
    }
}
