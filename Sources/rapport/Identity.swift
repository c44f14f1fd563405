import ArgumentParser
import Foundation
import RapportStore

struct Identity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Identity resolution settings of a tenant.",
        subcommands: [Config.self])

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change identity kinds (priority, limit, normalisation, blocked values) and trait source precedence.",
            discussion: """
                --kind NAME:PRIORITY:LIMIT[:NORMALIZATION] adds or changes a kind (normalisation: email, phone, trim, none); \
                --block NAME:VALUE adds a blocked value; --remove-kind drops a kind of the tenant's own. \
                Without changes, prints the settings.
                """)
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(name: .customLong("kind"), help: "NAME:PRIORITY:LIMIT[:NORMALIZATION]") var kinds: [String] = []
        @Option(name: .customLong("block"), help: "NAME:VALUE") var blocks: [String] = []
        @Option(name: .customLong("remove-kind")) var removals: [String] = []
        @Option(help: "Comma-separated source names, highest precedence first.") var precedence: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (slug, kindSpecs, blockSpecs, removals, precedence, json) = (tenant, kinds, blocks, self.removals, self.precedence, self.json)
            let settings = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                var current = try await store.ingestSettings(tenant: tenant).rules.kinds
                if !kindSpecs.isEmpty || !blockSpecs.isEmpty || !removals.isEmpty {
                    for spec in kindSpecs {
                        let parts = spec.split(separator: ":").map(String.init)
                        guard parts.count == 3 || parts.count == 4, let priority = Int(parts[1]), let limit = Int(parts[2]),
                              let normalization = parts.count == 4 ? Normalization(rawValue: parts[3]) : .trim else {
                            throw ValidationError("`--kind \(spec)` must be NAME:PRIORITY:LIMIT[:email|phone|trim|none].")
                        }
                        if let i = current.firstIndex(where: { $0.name == parts[0] }) {
                            current[i].priority = priority
                            current[i].limit = limit
                            if parts.count == 4 { current[i].normalization = normalization }
                        } else {
                            current.append(IdentityKind(name: parts[0], priority: priority, limit: limit, normalization: normalization))
                        }
                    }
                    for spec in blockSpecs {
                        guard let colon = spec.firstIndex(of: ":"), let i = current.firstIndex(where: { $0.name == spec[..<colon] }) else {
                            throw ValidationError("`--block \(spec)` must be KIND:VALUE with a known kind.")
                        }
                        current[i].blocked.append(String(spec[spec.index(after: colon)...]))
                    }
                    current.removeAll { removals.contains($0.name) }
                    try await store.setIdentityKinds(current, tenant: tenant, actor: "cli")
                }
                if let precedence {
                    try await store.setSourcePrecedence(precedence.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, tenant: tenant)
                }
                return try await store.ingestSettings(tenant: tenant)
            }
            if json {
                struct Out: Encodable { var kinds: [IdentityKind]; var source_precedence: [String] }
                print(try encodeJSON(Out(kinds: settings.rules.kinds, source_precedence: settings.sourcePrecedence)))
                return
            }
            print(TextTable.render(header: ["kind", "priority", "limit", "normalization", "blocked"],
                                   rows: settings.rules.kinds.map { [$0.name, "\($0.priority)", "\($0.limit)", $0.normalization.rawValue,
                                                                     "\($0.blocked.count) values"] }))
            print("source precedence: " + (settings.sourcePrecedence.isEmpty ? "(none: the most recent wins)" : settings.sourcePrecedence.joined(separator: " > ")))
        }
    }
}
