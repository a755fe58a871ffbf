import NIOCore

/// Parses JSON bytes straight into an `APIValue` in one pass (keys in document order). The API
/// server's answers go through here rather than `JSONDecoder`: decoding a generic tree through
/// `Decodable` probes each value's type by throwing, which made a 10,000-service list take minutes.
enum JSONParser {
    /// Where and why the bytes are not JSON.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "\(message) at byte \(offset)" }
    }

    /// Nesting deeper than this is refused (the API's objects are far shallower).
    static let maximumDepth = 256

    /// Which members of one object are built: the object that is member `member` of the top-level
    /// object keeps only the members named in `keys`; the others are checked and skipped, not built.
    struct Pruning: Sendable {
        var member: String
        var keys: Set<String>
    }

    static func parse(_ buffer: ByteBuffer, pruning: Pruning? = nil) throws(Failure) -> APIValue {
        let result: Result<APIValue, Failure> = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(Failure) -> APIValue in try parse(bytes, pruning: pruning) }
        }
        return try result.get()
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, pruning: Pruning? = nil) throws(Failure) -> APIValue {
        var reader = Reader(bytes: bytes, pruning: pruning)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw Failure(offset: reader.index, message: "unexpected data after the value") }
        return value
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        /// The members of the objects and arrays being read, innermost last: each container is
        /// copied out at its exact size when it closes, one allocation instead of one per doubling
        /// (the growth of small arrays was ~3% of the daemon's samples decoding 100-endpoint slices).
        var openPairs: [(key: String, value: APIValue)] = []
        var openItems: [APIValue] = []
        let pruning: Pruning?

        init(bytes: UnsafeRawBufferPointer, pruning: Pruning?) {
            self.bytes = bytes
            self.pruning = pruning
        }

        func failure(_ message: String) -> Failure {
            Failure(offset: index, message: index < bytes.count ? message : "unexpected end of data")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws(Failure) {
            guard index < bytes.count, bytes[index] == byte else {
                throw failure("expected '\(Character(Unicode.Scalar(byte)))'")
            }
            index += 1
        }

        mutating func value(depth: Int) throws(Failure) -> APIValue {
            guard depth < JSONParser.maximumDepth else { throw failure("nested too deeply") }
            guard index < bytes.count else { throw failure("expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw failure("expected a value")
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw Failure(offset: index, message: "unexpected end of data") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw failure("expected '\(word)'")
            }
            index += count
        }

        /// An object; with `keeping`, only the members of those names are built (see ``Pruning``).
        mutating func object(depth: Int, keeping: Set<String>? = nil) throws(Failure) -> APIValue {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object([])
            }
            let start = openPairs.count
            defer { openPairs.removeSubrange(start...) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                let key = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                if let keeping, !keeping.contains(key) {
                    try skip(depth: depth + 1)
                } else if depth == 0, let pruning, key == pruning.member, index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    openPairs.append((key, try object(depth: depth + 1, keeping: pruning.keys)))
                } else {
                    openPairs.append((key, try value(depth: depth + 1)))
                }
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(Array(openPairs[start...])) }
                throw failure("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(Failure) -> APIValue {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array([])
            }
            let start = openItems.count
            defer { openItems.removeSubrange(start...) }
            while true {
                skipWhitespace()
                let item = try value(depth: depth + 1)
                openItems.append(item)
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(Array(openItems[start...])) }
                throw failure("expected ',' or ']'")
            }
        }

        /// Checks a value and moves past it without building it.
        mutating func skip(depth: Int) throws(Failure) {
            guard depth < JSONParser.maximumDepth else { throw failure("nested too deeply") }
            guard index < bytes.count else { throw failure("expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try skipContainer(depth: depth, close: UInt8(ascii: "}"), keyed: true)
            case UInt8(ascii: "["): try skipContainer(depth: depth, close: UInt8(ascii: "]"), keyed: false)
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
            default: throw failure("expected a value")
            }
        }

        /// Moves past an object (`keyed`) or an array, checking it.
        mutating func skipContainer(depth: Int, close: UInt8, keyed: Bool) throws(Failure) {
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if keyed {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                    try skipString()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"))
                    skipWhitespace()
                }
                try skip(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw failure(keyed ? "unterminated object" : "unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == close { index += 1; return }
                throw failure(keyed ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }

        /// Moves past a string starting at its opening quote, checking its escapes.
        mutating func skipString() throws(Failure) {
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw failure("unterminated string") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        break
                    case UInt8(ascii: "u"):
                        _ = try hex4()
                    default:
                        throw failure("invalid escape")
                    }
                default:
                    index += 1
                }
            }
            throw failure("unterminated string")
        }

        /// A string starting at the opening quote.
        mutating func string() throws(Failure) -> String {
            index += 1
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
                index += 1
            }
            throw failure("unterminated string")
        }

        /// The slow path for strings with escapes: `index` is at the first backslash.
        mutating func escapedString(from start: Int) throws(Failure) -> String {
            var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: utf8, as: UTF8.self)
                }
                guard byte == UInt8(ascii: "\\") else {
                    utf8.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate: a low one must follow.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw failure("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    throw failure("invalid escape")
                }
            }
            throw failure("unterminated string")
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw Failure(offset: index, message: "unexpected end of data") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// An integer when it has no fraction or exponent and fits in `Int`, else a double.
        mutating func number() throws(Failure) -> APIValue {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            var integer = 0
            var overflow = false
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let digit = Int(bytes[index] - UInt8(ascii: "0"))
                let (times, o1) = integer.multipliedReportingOverflow(by: 10)
                let (plus, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                overflow = overflow || o1 || o2
                integer = plus
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw failure("expected digits") }
            var isInteger = true
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                isInteger = false
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
            }
            if isInteger, !overflow { return .int(integer) }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let double = Double(text) else { throw Failure(offset: start, message: "invalid number") }
            return .double(double)
        }

        static func isNumberByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: false
            }
        }
    }
}
