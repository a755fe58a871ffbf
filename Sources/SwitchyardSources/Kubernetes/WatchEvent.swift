import Foundation
import NIOCore

/// One line of a watch stream: `{"type":"ADDED","object":{…}}`.
struct WatchEvent: Sendable {
    enum EventType: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    var type: EventType
    var object: APIValue

    /// How the API server begins a deletion's line (Go's encoding of its watch event writes the
    /// type first).
    static let deletionStart = Array(#"{"type":"DELETED","object":"#.utf8)

    /// What the informer reads of a deleted object: its kind and metadata (key, resourceVersion).
    /// The rest is checked and skipped, not built: perf, churn at 10,000 × 100, a Service
    /// replacement deletes a 100-endpoint EndpointSlice (~25 KB of JSON), and parsing watch events
    /// was 7.3% of the daemon's samples.
    static let deletionPruning = JSONParser.Pruning(member: "object", keys: ["kind", "apiVersion", "metadata"])

    /// Decodes one line; a line that is not a watch event says why.
    static func decode(_ line: ByteBuffer) -> Result<WatchEvent, DecodeFailure> {
        let value: APIValue
        do {
            let deletion = line.readableBytesView.starts(with: deletionStart)
            value = try JSONParser.parse(line, pruning: deletion ? deletionPruning : nil)
        } catch {
            return .failure(DecodeFailure(message: "not JSON", excerpt: excerpt(line)))
        }
        guard let typeText = value["type"]?.stringValue else {
            return .failure(DecodeFailure(message: "no type", excerpt: excerpt(line)))
        }
        guard let type = EventType(rawValue: typeText) else {
            return .failure(DecodeFailure(message: "unknown type \(typeText)", excerpt: excerpt(line)))
        }
        guard let object = value["object"], case .object = object else {
            return .failure(DecodeFailure(message: "no object", excerpt: excerpt(line)))
        }
        return .success(WatchEvent(type: type, object: object))
    }

    struct DecodeFailure: Error, Sendable {
        var message: String
        var excerpt: String
    }

    static func excerpt(_ line: ByteBuffer) -> String {
        let bytes = line.readableBytesView.prefix(120)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension APIValue {
    /// `metadata.resourceVersion`, if present.
    var resourceVersion: String? { self["metadata"]?["resourceVersion"]?.stringValue }

    /// The object with `kind` and `apiVersion` filled in when the server left them out.
    func filling(kind: String, apiVersion: String) -> APIValue {
        guard case .object(var pairs) = self else { return self }
        if self["kind"] == nil { pairs.insert(("kind", .string(kind)), at: 0) }
        if self["apiVersion"] == nil { pairs.insert(("apiVersion", .string(apiVersion)), at: 0) }
        return .object(pairs)
    }
}
