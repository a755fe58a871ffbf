import CSwitchyardNetfilter
import SwitchyardNFT
#if canImport(Glibc)
import Glibc
#endif

/// A table as the kernel lists it.
public struct ListedTable: Sendable, Hashable, CustomStringConvertible {
    /// `ip`, `ip6`, `inet`, … as nft spells the family.
    public var family: String
    public var name: String

    public var description: String { "\(family) \(name)" }

    static func familyName(_ number: UInt32) -> String {
        switch Int32(number) {
        case Int32(NFPROTO_IPV4): "ip"
        case Int32(NFPROTO_IPV6): "ip6"
        case Int32(NFPROTO_INET): "inet"
        case Int32(NFPROTO_ARP): "arp"
        case Int32(NFPROTO_BRIDGE): "bridge"
        case Int32(NFPROTO_NETDEV): "netdev"
        default: "family-\(number)"
        }
    }

    static func familyNumber(_ name: String) -> UInt16? {
        switch name {
        case "ip": UInt16(NFPROTO_IPV4)
        case "ip6": UInt16(NFPROTO_IPV6)
        case "inet": UInt16(NFPROTO_INET)
        case "arp": UInt16(NFPROTO_ARP)
        case "bridge": UInt16(NFPROTO_BRIDGE)
        case "netdev": UInt16(NFPROTO_NETDEV)
        default: nil
        }
    }
}

extension NetfilterSocket {
    /// Every table in the namespace, all families.
    public func listTables() throws(NetlinkError) -> [ListedTable] {
        var tables: [ListedTable] = []
        try dump("tables", build: { buffer, seq in
            nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETTABLE.rawValue), UInt16(NFPROTO_UNSPEC), UInt16(NLM_F_DUMP), seq)
        }, each: { message throws(NetlinkError) in
            guard let table = nftnl_table_alloc() else { throw .malformedReply("cannot allocate a table") }
            defer { nftnl_table_free(table) }
            guard nftnl_table_nlmsg_parse(message, table) >= 0 else { throw .malformedReply("NEWTABLE message") }
            let name = String(cString: nftnl_table_get_str(table, UInt16(NFTNL_TABLE_NAME.rawValue)))
            let family = nftnl_table_get_u32(table, UInt16(NFTNL_TABLE_FAMILY.rawValue))
            tables.append(ListedTable(family: ListedTable.familyName(family), name: name))
        })
        return tables.sorted { ($0.family, $0.name) < ($1.family, $1.name) }
    }

    /// Deletes the named tables that exist, in one transaction, and returns those it deleted.
    /// Tables that do not exist are skipped, so running it twice is safe.
    @discardableResult
    public func deleteTables(named name: String, families: [String] = OwnedTables.all.map(\.family.rawValue)) throws(NetlinkError) -> [ListedTable] {
        let present = try listTables().filter { $0.name == name && families.contains($0.family) }
        guard !present.isEmpty else { return [] }
        let batch = makeBatch()
        for table in present {
            guard let family = ListedTable.familyNumber(table.family) else { continue }
            batch.append("delete table \(table)") { buffer, seq in
                guard let object = nftnl_table_alloc() else { return nil }
                defer { nftnl_table_free(object) }
                nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
                let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_DELTABLE.rawValue), family, 0, seq)
                nftnl_table_nlmsg_build_payload(header, object)
                return header
            }
        }
        try commit(batch)
        return present
    }
}
