import NIOCore

/// Splits a chunked watch stream into its newline-terminated JSON events as the bytes arrive. A
/// chunk may hold part of an event, one event or many; only complete lines come out, and what is left
/// waits for the next chunk.
struct WatchLineSplitter {
    private var buffer = ByteBuffer()
    /// Refuse a single line beyond this many bytes (a broken stream, not an object).
    var maximumLineLength = 64 << 20

    /// Appends received bytes.
    mutating func append(_ chunk: ByteBuffer) {
        var chunk = chunk
        buffer.writeBuffer(&chunk)
    }

    /// The next complete line without its newline (empty lines are skipped); nil when none is
    /// complete yet. Throws when a line grows past `maximumLineLength`.
    mutating func nextLine() throws(KubernetesAPIError) -> ByteBuffer? {
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            guard var line = buffer.readSlice(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            if line.readableBytes > 0 { return line }
        }
        if buffer.readableBytes > maximumLineLength {
            throw .malformed(resource: "", request: "watch", message: "an event longer than \(maximumLineLength) bytes")
        }
        if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
        return nil
    }

    /// Bytes received that do not end a line yet.
    var pendingBytes: Int { buffer.readableBytes }
}
