/// Ordering of field paths as a reader expects: `spec.ports[2]` before `spec.ports[10]`.
enum FieldPath {
    /// Problems sorted by field path (numbers inside compared as numbers); stable for equal paths.
    static func sorted(_ problems: [ObjectProblem]) -> [ObjectProblem] {
        problems.enumerated().sorted { a, b in
            let order = compare(a.element.field, b.element.field)
            return order == 0 ? a.offset < b.offset : order < 0
        }.map(\.element)
    }

    /// -1, 0 or 1; digit runs compare by value.
    static func compare(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                let startI = i, startJ = j
                while i < x.count, isDigit(x[i]) { i += 1 }
                while j < y.count, isDigit(y[j]) { j += 1 }
                let m = Int(String(decoding: x[startI..<i], as: UTF8.self)) ?? 0
                let n = Int(String(decoding: y[startJ..<j], as: UTF8.self)) ?? 0
                if m != n { return m < n ? -1 : 1 }
            } else {
                if x[i] != y[j] { return x[i] < y[j] ? -1 : 1 }
                i += 1
                j += 1
            }
        }
        if x.count - i == y.count - j { return 0 }
        return x.count - i < y.count - j ? -1 : 1
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
}
