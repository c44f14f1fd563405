import Foundation
import PostgresNIO
import RapportQL

/// A saved segment as the segment API shows it.
public struct SegmentInfo: Sendable, Encodable {
    public var name: String
    public var definition: String
    public var uses: [String]
    public var updatedAt: Date
    /// Profiles in the segment now (only when asked for one segment).
    public var members: Int?

    enum CodingKeys: String, CodingKey {
        case name, definition, uses, members
        case updatedAt = "updated_at"
    }
}

extension Store {
    /// The tenant's saved segments, by name.
    public func segments(tenant: Tenant) async throws -> [SegmentInfo] {
        try await withTenant(tenant, readOnly: true) { connection in
            var segments: [SegmentInfo] = []
            for try await (name, source, uses, updated) in try await connection.query(
                "SELECT name, source, uses, updated_at FROM definitions WHERE kind = 'segment' ORDER BY name", logger: logger)
                .decode((String, String, [String], Date).self) {
                segments.append(SegmentInfo(name: name, definition: source, uses: uses, updatedAt: updated))
            }
            return segments
        }
    }

    /// One segment with its member count, or nil if there is none of that name.
    public func segment(_ name: String, tenant: Tenant, options: QueryOptions = QueryOptions()) async throws -> SegmentInfo? {
        guard var segment = try await segments(tenant: tenant).first(where: { $0.name == name }) else { return nil }
        let counted = try await query("count segment `\(name)`", tenant: tenant, options: options)
        if case .number(let count)? = counted.first?.rows.first?.first { segment.members = Int(count) }
        return segment
    }

    /// A page of the segment's members in id order, after profile `cursor`; the next page's
    /// cursor is nil at the end.
    public func segmentMembers(_ name: String, tenant: Tenant, after cursor: Int64?, limit: Int,
                               options: QueryOptions = QueryOptions()) async throws -> (QueryResult, next: Int64?) {
        let limit = min(max(limit, 1), 1000)
        let after = cursor.map { " | where id > \($0)" } ?? ""
        var results = try await query("segment `\(name)`\(after) | order by id | limit \(limit + 1)", tenant: tenant, options: options)
        guard var page = results.popLast() else { return (QueryResult(columns: [], rows: []), nil) }
        var next: Int64?
        if page.rows.count > limit {
            page.rows.removeLast(page.rows.count - limit)
            if case .number(let id)? = page.rows.last?.first { next = Int64(id) }
        }
        return (page, next)
    }

    /// What `show WHAT` lists; saved definitions are read no further than `cap` rows plus one.
    static func show(_ what: ShowTarget, cap: Int, on connection: PostgresConnection, logger: Logger) async throws -> QueryResult {
        switch what {
        case .traits:
            let catalog = try await loadCatalog(on: connection, logger: logger)
            return QueryResult(columns: [ResultColumn(name: "trait", type: .text), ResultColumn(name: "type", type: .text)],
                               rows: catalog.traitNames.map { [.text($0), .text(catalog.traitType($0)?.rawValue ?? "")] })
        case .events:
            let catalog = try await loadCatalog(on: connection, logger: logger)
            return QueryResult(columns: [ResultColumn(name: "event", type: .text), ResultColumn(name: "properties", type: .text)],
                               rows: catalog.eventNames.map { event in
                                   let properties = catalog.propertyNames(event: event).map { "\($0) \(catalog.propertyType(event: event, name: $0)?.rawValue ?? "")" }
                                   return [.text(event), .text(properties.joined(separator: ", "))]
                               })
        case .syncs:
            return try await showSyncs(cap: cap, on: connection, logger: logger)
        case .segments, .metrics, .funnels:
            let kind: Definition.Kind = what == .segments ? .segment : what == .metrics ? .metric : .funnel
            var rows: [[QueryValue]] = []
            for try await (name, source, uses, updated) in try await connection.query(
                "SELECT name, source, uses, updated_at FROM definitions WHERE kind = \(kind.rawValue) ORDER BY name LIMIT \(cap + 1)", logger: logger)
                .decode((String, String, [String], Date).self) {
                rows.append([.text(name), .text(source), .text(uses.joined(separator: ", ")), .timestamp(iso(updated))])
            }
            return QueryResult(columns: [ResultColumn(name: "name", type: .text), ResultColumn(name: "definition", type: .text),
                                         ResultColumn(name: "uses", type: .text), ResultColumn(name: "updated_at", type: .timestamp)],
                               rows: rows)
        }
    }

    static func describe(_ name: String, now: String, options: QueryOptions, on connection: PostgresConnection,
                         logger: Logger) async throws -> QueryResult {
        var facts: [(String, String)] = []
        for try await (kind, source, uses) in try await connection.query(
            "SELECT kind, source, uses FROM definitions WHERE name = \(name)", logger: logger).decode((String, String, [String]).self) {
            facts += [("name", name), ("kind", kind), ("definition", source), ("uses", uses.joined(separator: ", "))]
            var users: [String] = []
            for try await (userKind, user) in try await connection.query(
                "SELECT kind, name FROM definitions WHERE \(name) = ANY(uses) ORDER BY name", logger: logger).decode((String, String).self) {
                users.append("\(userKind) \(user)")
            }
            facts.append(("used_by", users.joined(separator: ", ")))
        }
        let catalog = try await loadCatalog(on: connection, logger: logger)
        if facts.isEmpty, catalog.syncNames.contains(name) {
            facts = try await describeSync(name, on: connection, logger: logger)
        } else if facts.isEmpty, let type = catalog.traitType(name) {
            facts = [("name", name), ("kind", "trait"), ("type", type.rawValue)]
        } else if facts.isEmpty, catalog.hasEvent(name) {
            facts = [("name", name), ("kind", "event")]
            facts += catalog.propertyNames(event: name).map { ("property \($0)", catalog.propertyType(event: name, name: $0)?.rawValue ?? "") }
        } else if facts.count > 1, facts[1].1 == "segment" {
            // Counted from the summaries if they were ready when the catalogue was read and no
            // rebuild began before the count ended; from the raw events otherwise.
            var members: String?
            for summaries in [catalog.summaries, nil] where members == nil {
                var counting = catalog
                counting.summaries = summaries
                guard case .query(let count)? = RQL.compile("count segment `\(name)`", catalog: counting).statements.first else { break }
                var budget = 1 << 10
                let counted = try await rows(of: count, now: now, cap: 1, budget: &budget, on: connection, logger: logger)
                if count.readsSummaries, let summaries {
                    let state = try await summaryState(on: connection, logger: logger)
                    guard state.ready, state.generation == summaries.generation else { continue }
                }
                members = counted.rows.first?.first?.display ?? "0"
            }
            if let members { facts.append(("members", members)) }
        } else if facts.count > 1, facts[1].1 == "metric" {
            if case .query(let typed)? = RQL.check("profiles | select x = \(name)", catalog: catalog).statements.first, let column = typed.columns.first {
                facts.append(("type", column.type.rawValue))
            }
        }
        return QueryResult(columns: [ResultColumn(name: "field", type: .text), ResultColumn(name: "value", type: .text)],
                           rows: facts.map { [.text($0.0), .text($0.1)] })
    }
}
