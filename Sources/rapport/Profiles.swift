import ArgumentParser
import Foundation
import RapportStore

struct Profiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at profiles: show one, explain its identity graph, undo a wrong merge.",
        subcommands: [Show.self, Explain.self, Unmerge.self])

    /// `42` or `email:ann@example.com` (any identity kind).
    static func resolve(_ reference: String, store: Store, tenant: Tenant) async throws -> Int64 {
        if let id = Int64(reference) {
            if case .merged(let survivor) = try await store.profile(id, tenant: tenant) { return survivor }
            return id
        }
        guard let colon = reference.firstIndex(of: ":") else {
            throw ValidationError("Name a profile by id (42) or by identifier (email:ann@example.com).")
        }
        let kind = String(reference[..<colon]), value = String(reference[reference.index(after: colon)...])
        guard let id = try await store.lookupProfile(kind: kind, value: value, tenant: tenant) else {
            throw ValidationError("No profile holds \(reference).")
        }
        return id
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a profile as JSON.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Argument(help: "A profile id or KIND:VALUE.") var profile: String

        func run() async throws {
            let (slug, reference) = (tenant, profile)
            let profile = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                let id = try await Profiles.resolve(reference, store: store, tenant: tenant)
                guard case .found(let profile) = try await store.profile(id, tenant: tenant) else {
                    throw ValidationError("There is no profile \(id).")
                }
                return profile
            }
            print(try encodeJSON(profile))
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain why a profile holds each identifier.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "A profile id or KIND:VALUE.") var profile: String

        func run() async throws {
            let (slug, reference) = (tenant, profile)
            let graph = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                return try await store.identityGraph(of: try await Profiles.resolve(reference, store: store, tenant: tenant), tenant: tenant)
            }
            if json {
                print(try encodeJSON(graph))
                return
            }
            print(IdentityExplanation.render(graph))
        }
    }

    struct Unmerge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Split a merged profile back out of a live one, by the merge log.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Argument(help: "The live profile (id or KIND:VALUE).") var profile: String
        @Argument(help: "The id of the profile merged into it, as `profiles explain` lists it.") var merged: Int64

        func run() async throws {
            let (slug, reference, merged) = (tenant, profile, self.merged)
            let result = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                let survivor = try await Profiles.resolve(reference, store: store, tenant: tenant)
                return try await store.unmerge(survivor: survivor, merged: merged, tenant: tenant, actor: "cli")
            }
            printError("Profile \(result.restoredProfileID) is split from \(result.survivorID) again: "
                + "\(counted(result.identitiesMoved, "identifier")) and \(counted(result.eventsMoved, "event")) moved back.")
        }
    }
}

/// The identity graph in words.
enum IdentityExplanation {
    static func render(_ graph: IdentityGraph) -> String {
        let date = { (d: Date) in d.formatted(.iso8601) }
        var lines = ["Profile \(graph.profileID)" + (graph.members.count > 1
            ? " (with \(graph.members.count - 1) merged profile\(graph.members.count == 2 ? "" : "s"): \(graph.members.filter { $0 != graph.profileID }.map(String.init).joined(separator: ", ")))"
            : "")]
        lines.append("")
        lines.append("Identifiers:")
        for identity in graph.identities {
            var line = "  \(identity.kind) \(identity.value)"
            if let message = identity.messageID { line += ": first seen \(date(identity.firstSeen)) in message \(message)" }
            if let source = identity.source { line += " from \(source)" }
            if let origin = identity.originProfileID, origin != graph.profileID { line += "; came with profile \(origin)" }
            lines.append(line)
        }
        if !graph.merges.isEmpty {
            lines.append("")
            lines.append("Merges:")
            for merge in graph.merges {
                if merge.reason == "unmerge" {
                    lines.append("  \(date(merge.at)): profile \(merge.mergedID) was split back out of \(merge.survivorID)")
                    continue
                }
                var line = "  \(date(merge.at)): profile \(merge.mergedID) joined \(merge.survivorID)"
                if let kind = merge.kind, let value = merge.value { line += " because message \(merge.messageID ?? "?") carried \(kind) \(value)" }
                if merge.undoneAt != nil { line += " (undone)" }
                lines.append(line)
            }
        }
        if !graph.conflicts.isEmpty {
            lines.append("")
            lines.append("Identifiers left out:")
            for c in graph.conflicts {
                lines.append("  \(c.kind) \(c.value) in message \(c.messageID): \(c.reason)"
                    + (c.otherProfileID.map { " (it belongs to profile \($0))" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}
