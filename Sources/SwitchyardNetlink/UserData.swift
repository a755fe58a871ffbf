/// nft's user-data TLVs (libnftnl `nftnl_udata`: one byte type, one byte length, value), written the
/// way nft 1.0.x writes them so that `nft list` prints Switchyard's objects as if nft had made them.
public enum UserData {
    /// A rule comment: `NFTNL_UDATA_RULE_COMMENT`, NUL-terminated.
    static func ruleComment(_ text: String) -> [UInt8] {
        let value = Array(text.utf8.prefix(254)) + [0]
        return tlv(0, value)
    }

    static func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        precondition(value.count <= 255, "user data value too long")
        return [type, UInt8(value.count)] + value
    }

    static func u32(_ type: UInt8, _ value: UInt32) -> [UInt8] {
        tlv(type, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }
}

/// An expression as nft records it in a set's `typeof` user data (nft 1.0.x layout).
public indirect enum TypeofExpression: Sendable, Hashable {
    /// A header field: nft's protocol descriptor id and field (template) index.
    case payload(descriptor: UInt32, field: UInt32)
    /// A meta key (`NFT_META_*`).
    case meta(key: UInt32)
    /// `numgen random|inc mod N`.
    case numgen(incremental: Bool, modulus: UInt32)
    /// Parts joined with `.`.
    case concat([TypeofExpression])

    // nft's expression kinds (enum expr_types) as its user data stores them.
    private var kind: UInt32 {
        switch self {
        case .payload: 7
        case .meta: 9
        case .concat: 13
        case .numgen: 23
        }
    }

    /// `ip daddr`/`ip saddr` (proto_ip = 12, fields saddr 11, daddr 12).
    public static let ipSaddr = TypeofExpression.payload(descriptor: 12, field: 11)
    public static let ipDaddr = TypeofExpression.payload(descriptor: 12, field: 12)
    /// `ip6 saddr`/`ip6 daddr` (proto_ip6 = 13, fields saddr 8, daddr 9).
    public static let ip6Saddr = TypeofExpression.payload(descriptor: 13, field: 8)
    public static let ip6Daddr = TypeofExpression.payload(descriptor: 13, field: 9)
    /// `th dport` (proto_th = 11, field dport 2).
    public static let thDport = TypeofExpression.payload(descriptor: 11, field: 2)
    /// `meta l4proto`.
    public static let l4proto = TypeofExpression.meta(key: 16)

    /// The nested user data of this expression: its kind and its fields.
    var userData: [UInt8] {
        var data = UserData.u32(0, kind)
        let fields: [UInt8]
        switch self {
        case .payload(let descriptor, let field):
            fields = UserData.u32(0, descriptor) + UserData.u32(1, field)
        case .meta(let key):
            fields = UserData.u32(0, key)
        case .numgen(let incremental, let modulus):
            fields = UserData.u32(0, incremental ? 0 : 1) + UserData.u32(1, modulus) + UserData.u32(2, 0)
        case .concat(let parts):
            fields = parts.enumerated().flatMap { index, part in UserData.tlv(UInt8(index), part.userData) }
        }
        data += UserData.tlv(1, fields)
        return data
    }
}

extension UserData {
    /// A set's user data: key (and data) byte order, and the `typeof` expressions when declared so.
    /// Byte order 0 is what nft writes for concatenations, 2 (big endian) for single addresses.
    public static func set(keyByteOrder: UInt32, dataByteOrder: UInt32? = nil, keyTypeof: TypeofExpression? = nil, dataTypeof: TypeofExpression? = nil) -> [UInt8] {
        var data = u32(0, keyByteOrder)
        if let dataByteOrder { data += u32(1, dataByteOrder) }
        if let keyTypeof { data += tlv(3, keyTypeof.userData) }
        if let dataTypeof { data += tlv(4, dataTypeof.userData) }
        if dataByteOrder != nil && dataTypeof != nil { data += u32(6, 0) } // NFTNL_UDATA_SET_DATA_INTERVAL
        return data
    }
}

extension UserData {
    /// The comment in a rule's user data, if any.
    static func comment(in data: [UInt8]) -> String? {
        var index = 0
        while index + 2 <= data.count {
            let type = data[index], length = Int(data[index + 1])
            guard index + 2 + length <= data.count else { return nil }
            if type == 0 {
                return String(decoding: data[(index + 2)..<(index + 2 + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            index += 2 + length
        }
        return nil
    }
}
