import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RapportStore

/// The web console at `/` (issue 19): pages for people, served by `rapport serve` itself.
///
/// - A person signs in with a tenant API key at `/sign-in`; the browser then holds only a
///   random session token, in an HttpOnly, SameSite=Strict cookie that expires
///   (``Store/consoleSessionLifetime``). The key's scopes decide which pages show and which
///   actions are allowed, and every route checks them again.
/// - Every form that changes something carries the session's CSRF token (the sign-in form a
///   token of its own, also held in a cookie); without it the server refuses. The pages' own
///   requests to `/v1/…` send it as `X-CSRF-Token` (``KeyAuthMiddleware``).
/// - Every answer carries a Content-Security-Policy without inline scripts or styles, forbids
///   framing, and is not cached.
struct ConsoleController {
    let store: Store
    var privacyWorker: PrivacyWorker?
    var tally: IngestTally?
    /// The operator's query limits (timeout, row cap), as for `/v1/query`.
    var options = QueryOptions()

    static let sessionCookie = "rapport_session"
    static let signInCookie = "rapport_sign_in"
    /// A form's size limit: the Art. 15 settings (64 kB of JSON over the API) grow when URL-encoded.
    static let formLimit = 256 * 1024

    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    func addRoutes(to router: Router<RapportRequestContext>) {
        router.get("/") { request, _ in await Self.guarded {
            guard let session = try await session(request) else { return Self.redirect("/sign-in") }
            let first = ConsolePages.Section.allCases.first { session.key.scopes.contains($0.scope) }
            guard let first else {
                return Self.page(ConsolePages.problem(session: session, title: "Nothing to show",
                    message: "This key has neither the query nor the privacy scope, which the console's pages need."), status: .forbidden)
            }
            return Self.redirect(first.path)
        } }
        router.get("sign-in") { request, _ in await Self.guarded {
            if try await session(request) != nil { return Self.redirect("/") }
            let token = Store.randomToken()
            var response = Self.page(ConsolePages.signIn(csrf: token))
            response.setCookie(Self.cookie(Self.signInCookie, token, maxAge: 3600, request: request))
            return response
        } }
        router.post("sign-in") { request, _ in await Self.guarded {
            let form = try await Self.form(request)
            let expected = request.cookies[Self.signInCookie]?.value
            guard let expected, let sent = form["csrf"], Self.same(expected, sent) else {
                let token = Store.randomToken()
                var response = Self.page(ConsolePages.signIn(csrf: token,
                    problem: "The sign-in form had expired or lacked its security token. Please try again."), status: .forbidden)
                response.setCookie(Self.cookie(Self.signInCookie, token, maxAge: 3600, request: request))
                return response
            }
            let key = (form["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let started: ConsoleSession?
            do {
                started = try await store.startConsoleSession(key: key)
            } catch ConsoleSignInError.noConsoleScope {
                return Self.page(ConsolePages.signIn(csrf: expected,
                    problem: "That key only sends data (the ingest or admin scope alone): the console needs a key with the query or privacy scope."),
                    status: .forbidden)
            }
            guard let session = started else {
                return Self.page(ConsolePages.signIn(csrf: expected,
                    problem: "That API key is not valid: it is unknown, revoked, or its tenant is not ready."), status: .unauthorized)
            }
            // A session this browser held before ends.
            if let old = request.cookies[Self.sessionCookie]?.value, !old.isEmpty { try await store.endConsoleSession(token: old) }
            var response = Self.redirect("/")
            response.setCookie(Self.cookie(Self.sessionCookie, session.token, maxAge: Int(Store.consoleSessionLifetime), request: request))
            response.setCookie(Self.cookie(Self.signInCookie, "", maxAge: 0, request: request))
            return response
        } }
        router.post("sign-out") { request, _ in
            try await action(request, scope: nil) { session, _ in
                try await store.endConsoleSession(token: session.token)
                var response = Self.redirect("/sign-in")
                response.setCookie(Self.cookie(Self.sessionCookie, "", maxAge: 0, request: request))
                return response
            }
        }
        router.get("profiles") { request, _ in
            try await page(request, scope: .query) { session in
                let query = Self.query(request)
                let kind = query["kind"], value = query["value"]?.trimmingCharacters(in: .whitespaces)
                let kinds = try await store.catalog(tenant: session.key.tenant).identityKinds.map(\.name)
                guard let kind, let value, !value.isEmpty else {
                    return Self.page(ConsolePages.profileSearch(session: session, kinds: kinds, kind: kind, value: value, message: nil))
                }
                let found: Int64?
                if kind == "id" {
                    guard let id = Int64(value), id > 0 else {
                        return Self.page(ConsolePages.profileSearch(session: session, kinds: kinds, kind: kind, value: value,
                                                                    message: "A profile id is a whole number, such as 42."))
                    }
                    switch try await store.profile(id, tenant: session.key.tenant) {
                    case .found: found = id
                    case .merged(let survivor): found = survivor
                    case .missing: found = nil
                    }
                } else if kinds.contains(kind) {
                    found = try await store.lookupProfile(kind: kind, value: value, tenant: session.key.tenant)
                } else {
                    return Self.page(ConsolePages.profileSearch(session: session, kinds: kinds, kind: nil, value: value,
                                                                message: "`\(kind)` is not an identity kind of this tenant."))
                }
                guard let found else {
                    return Self.page(ConsolePages.profileSearch(session: session, kinds: kinds, kind: kind, value: value,
                                                                message: kind == "id" ? "There is no profile \(value)." : "No profile holds the \(kind) “\(value)”."))
                }
                return Self.redirect("/profiles/\(found)")
            }
        }
        router.get("profiles/{id}") { request, context in
            try await page(request, scope: .query) { session in
                guard let id = context.parameters.get("id", as: Int64.self), id > 0 else {
                    return Self.page(ConsolePages.problem(session: session, title: "No such profile",
                                                          message: "A profile's address ends in its id, a whole number."), status: .notFound)
                }
                let query = Self.query(request)
                let event = query["event"].flatMap { $0.isEmpty ? nil : $0 }
                let cursor = query["cursor"].flatMap { $0.isEmpty ? nil : $0 }
                let tenant = session.key.tenant
                switch try await store.profile(id, tenant: tenant) {
                case .missing:
                    return Self.page(ConsolePages.problem(session: session, title: "No such profile",
                                                          message: "There is no profile \(id) (it may have been erased)."), status: .notFound)
                case .merged(let survivor):
                    return Self.redirect("/profiles/\(survivor)")
                case .found(let profile):
                    let graph = try await store.identityGraph(of: id, tenant: tenant)
                    let timeline = try await store.timeline(of: id, tenant: tenant, cursor: cursor, limit: 50, name: event)
                    let names = try await store.catalog(tenant: tenant).eventNames
                    let notice = query["unmerged"].flatMap { Int64($0) }.map { "Profile \($0) was unmerged from this one." }
                    return Self.page(ConsolePages.profile(session: session, profile: profile, graph: graph, timeline: timeline,
                                                          eventNames: names, event: event, cursor: cursor, notice: notice))
                }
            }
        }
        // What the profile page fills in after it is shown: a query over every saved segment.
        router.get("profiles/{id}/membership") { request, context in
            guard let session = try await session(request) else { throw APIError.unauthenticated }
            guard session.key.scopes.contains(.query) else { throw APIError.missingScope(.query) }
            guard let id = context.parameters.get("id", as: Int64.self) else {
                throw APIError(.badRequest, code: "invalid-request", message: "A profile id is a whole number.")
            }
            let (segments, syncs, asked, saved) = try await store.membership(of: id, tenant: session.key.tenant, timeout: min(options.timeout, .seconds(10)))
            var response = try JSONAnswer().encode(Membership(segments: segments, syncs: syncs, asked: asked, saved: saved), from: request, context: context)
            for field in Self.securityHeaders where field.name != .contentType { response.headers[field.name] = field.value }
            return response
        }
        router.post("profiles/{id}/unmerge") { request, context in
            try await action(request, scope: .admin) { session, form in
                guard let id = context.parameters.get("id", as: Int64.self), let merged = form["merged_id"].flatMap({ Int64($0) }) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "Say which merged profile to unmerge.")
                }
                _ = try await store.unmerge(survivor: id, merged: merged, tenant: session.key.tenant, actor: "console:key:\(session.key.id)")
                return Self.redirect("/profiles/\(id)?unmerged=\(merged)")
            }
        }
        router.get("ask") { request, _ in
            try await page(request, scope: .query) { session in Self.page(ConsolePages.ask(session: session)) }
        }
        router.get("segments") { request, _ in
            try await page(request, scope: .query) { session in
                let tenant = session.key.tenant
                let definitions = try await store.definitionList(tenant: tenant)
                var syncs: [SyncInfo]?, destinations: [DestinationStatus]?, letters: [DeadLetter]?
                // Syncs and destinations are the admin scope's, as over the API.
                if session.key.scopes.contains(.admin) {
                    syncs = try await store.syncs(tenant: tenant)
                    var statuses: [DestinationStatus] = []
                    for destination in try await store.destinations(tenant: tenant) {
                        statuses.append(try await store.destinationStatus(destination.name, tenant: tenant))
                    }
                    destinations = statuses
                    letters = try await store.deadLetters(destination: nil, tenant: tenant, limit: 20)
                }
                return Self.page(ConsolePages.segments(session: session, definitions: definitions, syncs: syncs,
                                                       destinations: destinations, deadLetters: letters))
            }
        }
        router.get("segments/{name}") { request, context in
            try await page(request, scope: .query) { session in
                // Hummingbird hands the path's parameter over as it was sent: percent-encoded.
                let raw = try context.parameters.require("name")
                let name = raw.removingPercentEncoding ?? raw
                let cursor = Self.query(request)["cursor"].flatMap { Int64($0) }
                guard let info = try await store.segment(name, tenant: session.key.tenant, options: options) else {
                    return Self.page(ConsolePages.problem(session: session, title: "No such segment",
                                                          message: "There is no saved segment named “\(name)”."), status: .notFound)
                }
                let (members, next) = try await store.segmentMembers(name, tenant: session.key.tenant, after: cursor, limit: 50, options: options)
                return Self.page(ConsolePages.segment(session: session, info: info, members: members, next: next, cursor: cursor))
            }
        }
        router.get("data") { request, _ in
            try await page(request, scope: .query) { session in
                let tenant = session.key.tenant
                let (recent, busy) = try await store.arrivedEvents(tenant: tenant, limit: 50)
                return Self.page(ConsolePages.data(session: session, volume: try await store.volume(tenant: tenant),
                                                   ingest: tally?.counts(tenant: tenant.id) ?? IngestTally.Counts(), since: tally?.since ?? Date(),
                                                   catalogue: try await store.catalogueNames(tenant: tenant), recent: recent, busy: busy))
            }
        }
        router.get("privacy") { request, _ in
            try await page(request, scope: .privacy) { session in
                let query = Self.query(request)
                var notice: String?
                // Only a request id is echoed (a link cannot make the page say anything else).
                func requestID(_ text: String?) -> String? {
                    guard let text, text.hasPrefix("pr_"), text.utf8.count <= 40,
                          text.dropFirst(3).allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else { return nil }
                    return text
                }
                if let filed = requestID(query["filed"]) { notice = "Request \(filed) was filed; it is carried out in the background (this page follows it)." }
                if query["saved"] != nil { notice = "The settings were saved." }
                if let cancelled = requestID(query["cancelled"]) { notice = "Request \(cancelled) was cancelled." }
                return try await privacyPage(session, notice: notice)
            }
        }
        router.post("privacy/requests") { request, _ in
            try await action(request, scope: .privacy) { session, form in
                let types = PrivacyRequest.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                guard let type = form["type"].flatMap(PrivacyRequest.Kind.init(rawValue:)) else {
                    throw APIError(.badRequest, code: "invalid-request", message: "Choose the request's type: one of \(types).")
                }
                let kind = form["kind"] ?? "", value = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !kind.isEmpty, !value.isEmpty else {
                    throw APIError(.badRequest, code: "invalid-request", message: "Name the person by one identifier: its kind and its value.")
                }
                let tenant = session.key.tenant
                if type == .erasure && form["confirmed"] != "yes" {
                    var reach = ConsolePages.ErasureReach(profileID: nil, identifiers: 0, mergedProfiles: 0, events: 0)
                    if let id = try await store.lookupProfile(kind: kind, value: value, tenant: tenant),
                       case .found(let profile) = try await store.profile(id, tenant: tenant) {
                        let graph = try await store.identityGraph(of: id, tenant: tenant)
                        reach = ConsolePages.ErasureReach(profileID: id, identifiers: profile.identities.count,
                                                          mergedProfiles: max(0, graph.members.count - 1),
                                                          events: try await store.eventCount(of: id, tenant: tenant))
                    }
                    return Self.page(ConsolePages.confirmErasure(session: session, kind: kind, value: value, reach: reach))
                }
                let filed = try await store.fileRequest(type, subject: PrivacySubject(kind: kind, value: value), tenant: tenant,
                                                        actor: "console:key:" + session.key.id)
                privacyWorker?.wake()
                return Self.redirect("/privacy?filed=\(Markup.urlComponent(filed.id))")
            }
        }
        router.post("privacy/requests/{id}/cancel") { request, context in
            try await action(request, scope: .privacy) { session, _ in
                let id = try context.parameters.require("id")
                _ = try await store.cancelRequest(id, tenant: session.key.tenant, actor: "console:key:" + session.key.id)
                return Self.redirect("/privacy?cancelled=\(Markup.urlComponent(id))")
            }
        }
        router.post("privacy/settings") { request, _ in
            try await action(request, scope: .privacy) { session, form in
                let text = form["settings"] ?? ""
                let settings: JSONValue
                do {
                    settings = try StrictJSONDecoder.parse(Array(text.utf8))
                } catch {
                    throw APIError(.badRequest, code: "invalid-json", message: "The settings are not valid JSON: \(APIError(from: error, requestID: "").message)")
                }
                try await store.setPrivacySettings(settings, tenant: session.key.tenant, actor: "console:key:" + session.key.id)
                return Self.redirect("/privacy?saved=1")
            }
        }
        router.get("console/assets/{name}") { _, context in
            guard let name = context.parameters.get("name"), let asset = ConsoleAssets.named(name) else {
                throw APIError(.notFound, code: "not-found", message: "There is no such file.")
            }
            var headers = Self.securityHeaders
            headers[.contentType] = asset.contentType
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
        }
    }

    func privacyPage(_ session: ConsoleSession, notice: String?) async throws -> Response {
        let tenant = session.key.tenant
        let kinds = try await store.catalog(tenant: tenant).identityKinds.map(\.name)
        let requests = try await store.privacyRequests(tenant: tenant, limit: 100)
        let audit = try await store.privacyAudit(tenant: tenant, limit: 50, newestFirst: true)
        let settings = try await store.privacySettings(tenant: tenant)
        return Self.page(ConsolePages.privacy(session: session, kinds: kinds, requests: requests, audit: audit,
                                              settings: settings.jsonText, notice: notice))
    }

    // MARK: - Sessions and forms

    /// The session the request's cookie stands for, if any.
    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty else { return nil }
        return try await store.consoleSession(token: token)
    }

    /// A page for a signed-in key with `scope`: otherwise the sign-in page, or a page saying
    /// which scope is missing. Whatever goes wrong is said in words, on a page.
    func page(_ request: Request, scope: Scope, _ body: (ConsoleSession) async throws -> Response) async throws -> Response {
        let session: ConsoleSession?
        do {
            session = try await self.session(request)
        } catch {
            return Self.failure(error, session: nil)
        }
        guard let session else { return Self.redirect("/sign-in") }
        guard session.key.scopes.contains(scope) else {
            return Self.page(ConsolePages.problem(session: session, title: "Not allowed",
                message: "This key does not have the `\(scope.rawValue)` scope this page needs."), status: .forbidden)
        }
        do {
            return try await body(session)
        } catch {
            return Self.failure(error, session: session)
        }
    }

    /// A form's action: a session, the scope (if any), and the session's CSRF token in the form.
    func action(_ request: Request, scope: Scope?, _ body: (ConsoleSession, [String: String]) async throws -> Response) async throws -> Response {
        do {
            let form = try await Self.form(request)
            guard let session = try await self.session(request) else {
                return Self.page(ConsolePages.problem(session: nil, title: "Signed out",
                    message: "Your session has ended (signed out or expired). Sign in again."), status: .unauthorized)
            }
            guard let sent = form["csrf"], Self.same(sent, session.csrf) else {
                return Self.page(ConsolePages.problem(session: session, title: "Refused",
                    message: "The form lacked its security token (CSRF), so nothing was done. Reload the page and try again."), status: .forbidden)
            }
            if let scope, !session.key.scopes.contains(scope) {
                return Self.page(ConsolePages.problem(session: session, title: "Not allowed",
                    message: "This key does not have the `\(scope.rawValue)` scope this action needs."), status: .forbidden)
            }
            do {
                return try await body(session, form)
            } catch {
                return Self.failure(error, session: session)
            }
        } catch {
            return Self.failure(error, session: nil)
        }
    }

    static let logger = Logger(label: "rapport.console")

    /// A route outside ``page(_:scope:_:)`` and ``action(_:scope:_:)``: what goes wrong is said on a page too.
    static func guarded(_ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch { return failure(error, session: nil) }
    }

    static func failure(_ error: any Error, session: ConsoleSession?) -> Response {
        // An id for the page and the log line alike, so that a report can be matched to the log.
        let id = "console-" + Store.randomToken().prefix(12)
        let api = APIError(from: error, requestID: id)
        if api.status.code >= 500 {
            logger.error("a console page failed", metadata: ["request_id": "\(id)", "error": "\(String(reflecting: error))",
                                                             "tenant": "\(session?.key.tenant.slug ?? "-")"])
        }
        let title = api.status.code >= 500 ? "Something went wrong" : "That did not work"
        return page(ConsolePages.problem(session: session, title: title, message: api.message), status: api.status)
    }

    /// The fields of a form (`application/x-www-form-urlencoded`), at most ``formLimit``.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: formLimit)
        } catch {
            throw APIError(.contentTooLarge, code: "too-large", message: "The form is larger than 256 kB.")
        }
        return parseForm(String(buffer: buffer))
    }

    /// The URL's query as a form sends it (a space as `+`).
    static func query(_ request: Request) -> [String: String] {
        parseForm(request.uri.query ?? "")
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first.flatMap(decode) else { continue }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if let value, fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int, request: Request) -> Cookie {
        // Secure when the browser reached us over TLS (through a proxy that says so).
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
        return Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    // MARK: - Responses

    static func page(_ markup: Markup, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: markup.html)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}

struct Membership: Encodable, Sendable {
    var segments: [String]
    var syncs: [String]
    /// The segments asked about (the first 100 by name) of those saved.
    var asked: Int
    var saved: Int
}

/// The console's stylesheet and scripts, compiled into the binary (it must work offline).
enum ConsoleAssets {
    struct Asset { var contentType: String; var bytes: [UInt8] }

    static func named(_ name: String) -> Asset? {
        switch name {
        case "console.css": Asset(contentType: "text/css; charset=utf-8", bytes: PackageResources.console_css)
        case "console.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.console_js)
        case "ask.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.ask_js)
        case "privacy.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.privacy_js)
        case "data.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: PackageResources.data_js)
        default: nil
        }
    }
}
