/// The tables Switchyard owns, and the only ones it writes, reads back or deletes: one per family,
/// both named `switchyard`. The compiler, the syncs, `rules`, `cleanup` and the benchmark name them
/// from here.
public enum OwnedTables {
    public static let name = "switchyard"
    public static let all: [TableRef] = [TableRef(.ip, name), TableRef(.ip6, name)]
}
