#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes `/proc/sys` values of a network namespace (`net.netfilter.*` are per namespace;
/// the file is opened from inside it). Run it off the Swift concurrency pool when `namespace` is not
/// the current one (`setns` changes the whole thread).
public enum Sysctl {
    /// Why a value could not be read or written.
    public struct Failure: Error, CustomStringConvertible {
        public var name: String
        public var step: String
        public var errno: Int32
        public var description: String { "sysctl \(name): \(step): \(String(cString: strerror(errno)))" }
    }

    /// `/proc/sys/net/netfilter/nf_conntrack_max` for `net.netfilter.nf_conntrack_max`.
    static func path(_ name: String) -> String { "/proc/sys/" + name.replacingOccurrences(of: ".", with: "/") }

    /// The value, trimmed.
    public static func read(_ name: String, in namespace: NetworkNamespace) throws(Failure) -> String {
        try namespace.perform({ () throws(Failure) -> String in
            let fd = open(path(name), O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(name: name, step: "open", errno: errno) }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = Glibc.read(fd, &buffer, buffer.count)
            guard count >= 0 else { throw Failure(name: name, step: "read", errno: errno) }
            return String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace
        }, failing: { Failure(name: name, step: "enter \($0.path)", errno: $0.errno) })
    }

    /// Writes `value`.
    public static func write(_ name: String, _ value: String, in namespace: NetworkNamespace) throws(Failure) {
        try namespace.perform({ () throws(Failure) in
            let fd = open(path(name), O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(name: name, step: "open", errno: errno) }
            defer { close(fd) }
            let bytes = Array((value + "\n").utf8)
            guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw Failure(name: name, step: "write", errno: errno) }
        }, failing: { Failure(name: name, step: "enter \($0.path)", errno: $0.errno) })
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last == "\n" || last == " " || last == "\t" { scalars.removeLast() }
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        return String(scalars)
    }
}
