/// The `metadata` fields every kind shares.
struct ObjectMetadata {
    var name: String
    var namespace: String
    var labels: [String: String]
    var annotations: [String: String]

    /// A missing name is reported and read as ""; the object is still built so that the rest of it is
    /// validated too (the load fails either way). Namespaced objects without a namespace get `default`.
    static func read(_ value: APIValue, namespaced: Bool, _ reader: inout FieldReader) -> ObjectMetadata {
        let meta = reader.mapping(value["metadata"], "metadata")
        let name = reader.string(meta?["name"], "metadata.name")
        var namespace = ""
        if namespaced {
            namespace = reader.string(meta?["namespace"], "metadata.namespace") ?? ""
            if namespace.isEmpty { namespace = "default" }
        }
        let labels = reader.stringMap(meta?["labels"], "metadata.labels")
        let annotations = reader.stringMap(meta?["annotations"], "metadata.annotations")
        if name?.isEmpty ?? true { reader.log.add("metadata.name", "is required") }
        return ObjectMetadata(name: name ?? "", namespace: namespace, labels: labels, annotations: annotations)
    }
}
