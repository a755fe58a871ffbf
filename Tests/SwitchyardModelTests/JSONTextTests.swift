import Foundation
import SwitchyardModel
import Testing

@Suite("JSON string quoting")
struct JSONTextTests {
    @Test("escapes quotes, backslashes and control characters; keeps non-ASCII", arguments: zip(
        ["plain", "say \"hi\"", #"C:\dir"#, "a\nb\rc\td", "\u{0}\u{1}\u{1f}", "\u{7f}", "café ☕ 𝄞", ""],
        [#""plain""#, #""say \"hi\"""#, #""C:\\dir""#, #""a\nb\rc\td""#, #""\u0000\u0001\u001f""#, "\"\u{7f}\"",
         "\"café ☕ 𝄞\"", #""""#]
    ))
    func quote(text: String, expected: String) {
        #expect(JSONText.quote(text) == expected)
    }

    @Test("a JSON parser reads back the original text", arguments: [
        "say \"hi\" \\ back", "tab\there\nnewline\u{8}\u{c}\u{1b}", "ünïcödé ✓ 𝄞",
    ])
    func roundTrip(text: String) throws {
        let data = Data(("[" + JSONText.quote(text) + "]").utf8)
        let parsed = try #require(try JSONSerialization.jsonObject(with: data) as? [String])
        #expect(parsed == [text])
    }
}
