import ArgumentParser
import Foundation
import NIOCore
import RapportStore

/// GDPR requests from the command line, for compliance staff. Each request is recorded and
/// audited exactly as one filed over HTTP; `erase`, `export`, `suppress` and `unsuppress` carry
/// it out at once and wait for the end. Exit status: 0 completed, 1 failed (or not found), 64
/// for a usage error.
struct Privacy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GDPR requests: erase, export, suppress or unsuppress a person; follow requests; read the audit log.",
        subcommands: [Erase.self, Export.self, Suppress.self, Unsuppress.self, Status.self, List.self, Audit.self, Settings.self])

    /// Who the command line acts as in the audit log.
    static var actor: String { "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? NSUserName()) }

    /// The subject, by one identifier.
    struct SubjectOptions: ParsableArguments {
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "The subject's email.") var email: String?
        @Option(name: .customLong("user-id"), help: "The subject's user id.") var userID: String?
        @Option(help: "The subject's phone number.") var phone: String?
        @Option(name: .customLong("anonymous-id"), help: "One of the subject's anonymous ids.") var anonymousID: String?
        @Option(help: "Any identity kind, as KIND:VALUE.") var identifier: String?
        @Flag(help: "Print the request as JSON.") var json = false

        func subject() throws -> PrivacySubject {
            var named: [PrivacySubject] = []
            if let email { named.append(PrivacySubject(kind: "email", value: email)) }
            if let userID { named.append(PrivacySubject(kind: "user_id", value: userID)) }
            if let phone { named.append(PrivacySubject(kind: "phone", value: phone)) }
            if let anonymousID { named.append(PrivacySubject(kind: "anonymous_id", value: anonymousID)) }
            if let identifier {
                guard let colon = identifier.firstIndex(of: ":") else { throw ValidationError("--identifier takes KIND:VALUE, such as loyalty_id:L-1234.") }
                named.append(PrivacySubject(kind: String(identifier[..<colon]), value: String(identifier[identifier.index(after: colon)...])))
            }
            guard named.count == 1 else {
                throw ValidationError("Name the subject by exactly one identifier: --email, --user-id, --phone, --anonymous-id or --identifier KIND:VALUE.")
            }
            return named[0]
        }
    }

    /// Files a request of `type`, carries it out here, prints the outcome, and fails (exit 1) if it failed.
    /// - Parameter reportOnStandardError: print the outcome on standard error (standard output carries the export).
    /// - Parameter unknownSubjectIsFine: for an erasure, go ahead when the tenant never saw the
    ///   identifier (otherwise a typo would be reported as a completed erasure and suppressed for good).
    static func carryOut(_ type: PrivacyRequest.Kind, _ subject: SubjectOptions, database: DatabaseOptions,
                         reportOnStandardError: Bool = false, unknownSubjectIsFine: Bool = true,
                         then: (@Sendable (Store, Tenant, PrivacyRequest) async throws -> Void)? = nil) async throws {
        let subjectValue = try subject.subject()
        let slug = subject.tenant
        let ended = try await Store.withStore(try database.database(), logger: database.logger(default: .notice)) { store in
            let tenant = try await store.commandTenant(slug)
            if !unknownSubjectIsFine, try await !store.knowsSubject(subjectValue, tenant: tenant) {
                throw StoreError.invalidInput("""
                    `\(slug)` has never seen \(subjectValue.kind) \(subjectValue.value): no profile holds it and it was never \
                    suppressed, so there is nothing to erase. Check the spelling (`rapport profiles show --tenant \(slug) \
                    \(subjectValue.kind):VALUE` finds a profile). To file the erasure anyway, which suppresses the identifier \
                    for good, run this again with --yes.
                    """)
            }
            let filed = try await store.fileRequest(type, subject: subjectValue, tenant: tenant, actor: actor)
            printError("Filed \(type.rawValue) request \(filed.id) (due \(iso(filed.dueAt))); carrying it out …")
            var ended = try await store.runPrivacyRequest(filed.id)
            // A server's worker took it first: wait for its end, and take it over if that worker dies.
            while ended == nil || ended?.status.isFinal == false {
                try await Task.sleep(for: .milliseconds(200))
                let current = try await store.privacyRequest(filed.id, tenant: tenant)
                ended = current.status.isFinal ? current : try await store.runPrivacyRequest(filed.id)
            }
            if let then, ended?.status == .completed { try await then(store, tenant, ended!) }
            return ended!
        }
        report(ended, json: subject.json, print: reportOnStandardError ? printError : { print($0) })
        if ended.status != .completed { throw ExitCode(1) }
    }

    static func report(_ request: PrivacyRequest, json: Bool, print: (String) -> Void = { Swift.print($0) }) {
        if json {
            print((try? encodeJSON(request)) ?? "{}")
            return
        }
        print("\(request.id)  \(request.type.rawValue)  \(request.status.rawValue)")
        print("  subject                     \(request.subjectKind) (hash \(request.subjectHash.prefix(16))…)")
        print("  received                    \(iso(request.receivedAt))   due \(iso(request.dueAt))")
        if let completed = request.completedAt { print("  ended                       \(iso(completed))") }
        print("  by                          \(request.actor)")
        for (name, n) in request.counts.sorted(by: { $0.key < $1.key }) { print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0))\(n)") }
        if let error = request.error { print("  error                       \(error)") }
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase everything held on a person (GDPR Art. 17), suppress their identifiers, and verify.",
            discussion: "The subject is everyone the identity graph reaches from the identifier. Exit status 0 only when the verification found nothing left.")
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var subject: SubjectOptions
        @Flag(help: "Go ahead when the tenant has never seen the identifier: nothing is erased, and it is suppressed for good.")
        var yes = false

        func run() async throws { try await carryOut(.erasure, subject, database: options, unknownSubjectIsFine: yes) }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export everything held on a person as one JSON document (GDPR Art. 15 and 20).")
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var subject: SubjectOptions
        @Option(name: [.short, .customLong("output")], help: "Where to write the document (- for standard output).") var output: String

        func run() async throws {
            let path = output
            guard path == "-" || FileManager.default.createFile(atPath: path + ".part", contents: nil,
                                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("Cannot write \(path).")
            }
            try await carryOut(.export, subject, database: options, reportOnStandardError: path == "-") { store, tenant, request in
                let handle = path == "-" ? FileHandle.standardOutput : try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".part"))
                do {
                    try await store.downloadExport(request.id, tenant: tenant, actor: Privacy.actor) { chunk in
                        try handle.write(contentsOf: Data(buffer: chunk))
                    }
                } catch {
                    // A partial document holds personal data: it does not stay behind.
                    if path != "-" { try? FileManager.default.removeItem(atPath: path + ".part") }
                    throw error
                }
                if path != "-" {
                    try handle.close()
                    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                    try FileManager.default.moveItem(atPath: path + ".part", toPath: path)
                    printError("Wrote \(path).")
                }
            }
        }
    }

    struct Suppress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop every later message carrying a person's identifiers; what is held stays.")
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var subject: SubjectOptions

        func run() async throws { try await carryOut(.suppress, subject, database: options) }
    }

    struct Unsuppress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a suppression (nothing erased comes back).")
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var subject: SubjectOptions

        func run() async throws { try await carryOut(.unsuppress, subject, database: options) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one request.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "The request's id (pr_…).") var id: String

        func run() async throws {
            let (slug, id) = (tenant, self.id)
            do {
                let request = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                    let tenant = try await store.commandTenant(slug)
                    return try await store.privacyRequest(id, tenant: tenant)
                }
                report(request, json: json)
            } catch let error as PrivacyError {
                printError("Error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List requests, newest first.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "Only requests in this status: pending, running, completed, failed or cancelled.") var status: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let slug = tenant
            var wanted: PrivacyRequest.Status?
            if let status {
                guard let parsed = PrivacyRequest.Status(rawValue: status) else {
                    throw ValidationError("--status is one of pending, running, completed, failed, cancelled.")
                }
                wanted = parsed
            }
            let status = wanted
            let requests = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                return try await store.privacyRequests(tenant: tenant, status: status, limit: 1000)
            }
            if json {
                print(try encodeJSON(requests))
                return
            }
            let rows = requests.map { [$0.id, $0.type.rawValue, $0.status.rawValue, iso($0.receivedAt), iso($0.dueAt), $0.actor] }
            print(TextTable.render(header: ["id", "type", "status", "received", "due", "by"], rows: rows))
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the privacy audit log: who did what, when, with what counts (identifiers only as keyed hashes).")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let slug = tenant
            let entries = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                return try await store.privacyAudit(tenant: tenant, limit: 10_000)
            }
            if json {
                print(try encodeJSON(entries))
                return
            }
            let rows = entries.map { e in
                let counts = (e.counts ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                return [iso(e.at), e.actor, e.action, e.request ?? "", e.subjectHash.map { "\(e.subjectKind ?? "?") #" + $0.prefix(12) } ?? "", counts]
            }
            print(TextTable.render(header: ["at", "actor", "action", "request", "subject", "counts"], rows: rows))
        }
    }

    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, or set from a JSON file, the Art. 15 information every export carries.",
            discussion: #"Keys: controller, purposes, categories, recipients, sources (lists of texts), retention, rights, transfers (texts)."#)
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The tenant's slug.") var tenant: String
        @Option(help: "A JSON file with the settings to store.") var file: String?

        func run() async throws {
            let slug = tenant
            var given: JSONValue?
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read \(file).") }
                do { given = try JSONParser.parse(Array(data)) } catch { throw ValidationError("\(file) is not JSON: \(error)") }
            }
            let newSettings = given
            let settings = try await Store.withStore(try options.database(), logger: options.logger(default: .notice)) { store in
                let tenant = try await store.commandTenant(slug)
                if let newSettings { try await store.setPrivacySettings(newSettings, tenant: tenant, actor: Privacy.actor) }
                return try await store.privacySettings(tenant: tenant)
            }
            print(settings.jsonText)
        }
    }
}
