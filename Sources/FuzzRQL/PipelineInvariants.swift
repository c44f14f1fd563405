import RapportQL

/// What must hold for any text sent as a query. A broken invariant is a `fatalError`, so
/// libFuzzer records the input as a crash (as it does a trap, an overflow or a stack
/// overflow inside the pipeline).
///
/// - `RQL.compile` returns: no trap, no crash, whatever the text (bounded time and memory
///   are libFuzzer's `-timeout` and `-rss_limit_mb`, set by `scripts/fuzz`);
/// - at most `RQL.maxDiagnostics` diagnostics and one `too-many-problems` after them;
/// - every diagnostic's range lies inside the text, its code is kebab-case, and it renders
///   in at most `DiagnosticRenderer.maxRenderedBytes` bytes;
/// - a compilation either has diagnostics or statements whose SQL uses exactly binds
///   `$1` … `$n` (so the HTTP answer is 200 or 400; 413 is the 100,000-byte limit before
///   the compiler, and 422 a query PostgreSQL stopped);
/// - `RQL.dump` at every stage obeys the same bounds (checked when `stages` is true).
enum PipelineInvariants {
    static func check(_ text: String, stages: Bool) {
        let source = SourceText(text)
        let length = text.utf8.count
        let compilation = RQL.compile(text, catalog: FuzzCatalog.catalog)
        checkDiagnostics(compilation.diagnostics, source: source, length: length, stage: "compile")
        if compilation.diagnostics.isEmpty {
            for statement in compilation.statements {
                switch statement {
                case .query(let query), .explain(let query, _):
                    checkBinds(query)
                    // Saved definitions used inside each other are bounded by the bytes they bring in
                    // (RQL.Limits.expandedBytes), so the SQL is bounded by the text and that.
                    require(query.sql.utf8.count <= 64 * (length + RQL.Limits.expandedBytes),
                            "the SQL is \(query.sql.utf8.count) bytes for \(length) bytes of text")
                case .defineSync(let sync):
                    // The audience it saves compiles again as it will run.
                    let (audience, fields, problems) = RQL.audience(sync.query, catalog: FuzzCatalog.catalog)
                    require(audience != nil && problems.isEmpty && fields == sync.fields, "a saved sync's audience does not compile again")
                    if let audience { checkBinds(audience) }
                case .define, .show, .describe, .drop: break
                }
                _ = statement.description
            }
        } else {
            require(compilation.statements.isEmpty, "a compilation with diagnostics also has statements")
        }
        for stage in RQL.Stage.allCases where stages {
            let (output, diagnostics) = RQL.dump(text, stage: stage, catalog: FuzzCatalog.catalog)
            _ = output.utf8.count
            checkDiagnostics(diagnostics, source: source, length: length, stage: stage.rawValue)
        }
    }

    static func checkDiagnostics(_ diagnostics: [Diagnostic], source: SourceText, length: Int, stage: String) {
        require(diagnostics.count <= RQL.maxDiagnostics + 1,
                "\(stage): \(diagnostics.count) diagnostics, more than \(RQL.maxDiagnostics) and one `too-many-problems`")
        for diagnostic in diagnostics {
            let range = diagnostic.range
            require(range.start >= 0 && range.start <= range.end && range.end <= length,
                    "\(stage): `\(diagnostic.code)` has range \(range.start)..<\(range.end) outside a text of \(length) bytes")
            require(!diagnostic.code.isEmpty && diagnostic.code.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 45 },
                    "\(stage): diagnostic code `\(diagnostic.code)` is not kebab-case")
            _ = source.location(of: range.start)
            _ = source.location(of: range.end)
            let rendered = DiagnosticRenderer.render(diagnostic, in: source)
            require(rendered.utf8.count <= DiagnosticRenderer.maxRenderedBytes,
                    "\(stage): `\(diagnostic.code)` renders in \(rendered.utf8.count) bytes, more than \(DiagnosticRenderer.maxRenderedBytes)")
        }
    }

    /// The SQL names `$1` … `$n` for n binds, each at least once, and no `$` beyond.
    static func checkBinds(_ query: CompiledQuery) {
        var used = Set<Int>()
        let utf8 = Array(query.sql.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "$"), i + 1 < utf8.count, utf8[i + 1] >= 48, utf8[i + 1] <= 57 {
                var n = 0, j = i + 1
                while j < utf8.count, utf8[j] >= 48, utf8[j] <= 57, n < 1_000_000 { n = n * 10 + Int(utf8[j] - 48); j += 1 }
                used.insert(n)
                i = j
            } else {
                i += 1
            }
        }
        require(used.sorted() == Array(1..<(query.binds.count + 1)),
                "the SQL uses binds \(used.sorted().prefix(20)) but has \(query.binds.count)")
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("invariant broken: " + message()) }
    }
}
