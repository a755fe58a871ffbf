import Foundation
import NIOCore
@testable import SwitchyardSources
import Testing

/// The byte-level JSON parser agrees with Foundation's decoder and rejects what is not JSON.
@Suite("JSON parser")
struct JSONParserTests {
    /// Keys sorted at every level, so trees from both decoders compare equal.
    static func sortedKeys(_ value: APIValue) -> APIValue {
        switch value {
        case .object(let pairs): .object(pairs.map { ($0.key, sortedKeys($0.value)) }.sorted { $0.0 < $1.0 })
        case .array(let items): .array(items.map(sortedKeys))
        default: value
        }
    }

    static func parse(_ text: String) throws -> APIValue {
        try JSONParser.parse(ByteBuffer(string: text))
    }

    @Test("values", arguments: [
        ("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}", APIValue.object([("a", .int(1)), ("b", .array([.bool(true), .bool(false), .null])), ("c", .string("x"))])),
        (" [ ] ", .array([])),
        ("{}", .object([])),
        ("-12", .int(-12)),
        ("1.5e3", .double(1500)),
        ("0.25", .double(0.25)),
        ("92233720368547758080", .double(92233720368547758080.0)),
        ("\"tab\\there \\\"q\\\" \\u00e9 \\ud83d\\ude00 \\/\"", .string("tab\there \"q\" é 😀 /")),
        ("\"ünïcödé\"", .string("ünïcödé")),
    ])
    func values(text: String, expected: APIValue) throws {
        #expect(try Self.parse(text) == expected)
    }

    @Test("not JSON", arguments: ["", "{", "{\"a\":}", "[1,]", "{\"a\":1,}", "\"open", "tru", "{\"a\" 1}", "1 2", "\"\\x\"", "\"\\ud83d\""])
    func failures(text: String) {
        #expect(throws: JSONParser.Failure.self) { try Self.parse(text) }
    }

    @Test("the API fixtures parse as Foundation decodes them")
    func fixtures() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SwitchyardSourcesTests/Fixtures").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let foundation = try JSONDecoder().decode(APIValue.self, from: data)
            let ours = try JSONParser.parse(ByteBuffer(bytes: data))
            #expect(Self.sortedKeys(ours) == Self.sortedKeys(foundation), "\(file)")
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func depth() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try Self.parse(text) }
    }
}
