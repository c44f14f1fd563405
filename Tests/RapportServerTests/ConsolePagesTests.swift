import Foundation
import RapportQL
import Testing

@testable import RapportServer
@testable import RapportStore

/// The console's pages rendered without a server (issue 19): hostile data stays text, the
/// navigation and the buttons follow the key's scopes, nothing a Content-Security-Policy
/// without inline scripts and styles would refuse is written, and the profile page is
/// compared with a golden copy (`Golden/console-profile.html`; set RAPPORT_UPDATE_GOLDEN=1 to
/// rewrite it after a deliberate change). The browser tests are in Tests/python/console.
struct ConsolePagesTests {
    static let hostile = [
        "<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "\" autofocus onfocus=\"alert(3)",
        "' onmouseover='alert(4)", "javascript:alert(5)", "<svg/onload=alert(6)>", "a & b < c > d", "\u{0}nul\u{1B}esc",
    ]

    static func session(_ scopes: Set<Scope>, name: String = "Shop <b>") -> ConsoleSession {
        let tenant = Tenant(id: 7, slug: "shop", name: name, createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        return ConsoleSession(token: "t", csrf: "csrf-token-1", key: AuthenticatedKey(id: "abcdefghij", tenant: tenant, scopes: scopes, source: nil),
                              expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    static func profilePage(scopes: Set<Scope>, values: [String]) -> String {
        let at = Date(timeIntervalSince1970: 1_765_000_000)
        var traits: [String: TraitValue] = [:]
        for (index, value) in values.enumerated() {
            let json = String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
            traits["t\(index)" + value] = TraitValue(value: RawJSON(json), source: value, at: at)
        }
        let identities = values.map { value in
            IdentityRecord(kind: "email", value: value, source: value, firstSeen: at, lastSeen: at, messageID: value, originProfileID: 9)
        }
        let profile = Profile(id: 42, traits: traits, identities: identities, groups: [], createdAt: at, updatedAt: at)
        let events = values.map { value in
            TimelineEvent(messageID: value, type: "track", name: value, ts: at, receivedAt: at, source: value,
                          properties: RawJSON(#"{"note": \#(String(decoding: try! JSONEncoder().encode(value), as: UTF8.self))}"#),
                          context: RawJSON("{}"))
        }
        let merges = values.enumerated().map { index, value in
            MergeRecord(id: Int64(index), survivorID: 42, mergedID: 9, messageID: value, kind: "email", value: value, reason: value,
                        at: at, undoneAt: nil)
        }
        let conflicts = values.map { value in
            ConflictRecord(messageID: value, kind: "email", value: value, otherProfileID: 3, reason: value, at: at)
        }
        let graph = IdentityGraph(profileID: 42, members: [42, 9], identities: identities, merges: merges, conflicts: conflicts)
        return ConsolePages.profile(session: session(scopes), profile: profile, graph: graph,
                                    timeline: TimelinePage(events: events, nextCursor: values.first),
                                    eventNames: values, event: values.last, cursor: values.first, notice: values.first).html
    }

    /// What a page must never hold, whatever its data: a tag or attribute that runs script,
    /// an inline style, or a script that is not one of the console's files.
    static func checkInert(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lower = html.lowercased()
        #expect(lower.ranges(of: "<script").count == lower.ranges(of: "<script src=\"/console/assets/").count, sourceLocation: sourceLocation)
        #expect(!lower.contains("<img"), sourceLocation: sourceLocation)
        #expect(!lower.contains("<svg"), sourceLocation: sourceLocation)
        #expect(lower.firstMatch(of: /<style/) == nil, "an inline stylesheet", sourceLocation: sourceLocation)
        #expect(!lower.contains("href=\"javascript:"), sourceLocation: sourceLocation)
        #expect(!lower.contains("\u{0}") && !lower.contains("\u{1B}"), "control characters", sourceLocation: sourceLocation)
        // Every attribute value is quoted, and no quote from the data closes one early: an
        // attribute's name is always followed by ="…", and no tag holds a stray quote.
        for tag in html.matches(of: /<[a-z][^>]*>/) {
            let text = String(tag.output)
            #expect(text.filter { $0 == "\"" }.count % 2 == 0, "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("'"), "\(text)", sourceLocation: sourceLocation)
            // The tag's attribute names, its quoted values taken out: no handler, no style.
            let names = text.lowercased().replacing(/"[^"]*"/, with: "\"\"")
            #expect(names.firstMatch(of: /\son[a-z]+\s*=/) == nil, "an event handler attribute in \(text)", sourceLocation: sourceLocation)
            #expect(names.firstMatch(of: /\sstyle\s*=/) == nil, "an inline style in \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func markupEscapesWhatIsInterpolatedAndKeepsWhatIsWritten() {
        let name = "<b>\"Ann\" & 'Bob'</b>"
        let cell: Markup = "<td title=\"\(name)\">\(name)</td>"
        #expect(cell.html == "<td title=\"&lt;b&gt;&quot;Ann&quot; &amp; &#39;Bob&#39;&lt;/b&gt;\">&lt;b&gt;&quot;Ann&quot; &amp; &#39;Bob&#39;&lt;/b&gt;</td>")
        let inner: Markup = "<em>\(name)</em>"
        let outer: Markup = "<p>\(inner)</p>"
        #expect(outer.html == "<p><em>&lt;b&gt;&quot;Ann&quot; &amp; &#39;Bob&#39;&lt;/b&gt;</em></p>", "markup in markup is not escaped twice")
        let link: Markup = "<a href=\"/profiles?value=\(url: "a&b c/\"<")\">x</a>"
        #expect(link.html == "<a href=\"/profiles?value=a%26b%20c%2F%22%3C\">x</a>")
        #expect(Markup.escape("tab\there\nnew\u{7}bell") == "tab\there\nnew\u{FFFD}bell")
        #expect(Markup.join(["<i>", "</i>"], separator: "&amp;").html == "<i>&amp;</i>")
    }

    @Test func hostileDataOnTheProfilePageStaysText() {
        let html = Self.profilePage(scopes: [.query, .admin, .privacy], values: Self.hostile)
        Self.checkInert(html)
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;"))
        #expect(html.contains("&quot; autofocus onfocus=&quot;alert(3)"))
        #expect(html.contains("Shop &lt;b&gt;"), "the tenant's name is escaped too")
        // The pager's links carry the filtered event's name (the last value) and the cursor (the
        // first) percent-encoded.
        #expect(html.contains("event=%00nul%1Besc&amp;cursor=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"))
    }

    @Test func everyPageIsInertWithHostileData() {
        let admin = Self.session([.query, .privacy, .admin])
        for value in Self.hostile {
            Self.checkInert(ConsolePages.signIn(csrf: value, problem: value).html)
            Self.checkInert(ConsolePages.problem(session: admin, title: value, message: value).html)
            Self.checkInert(ConsolePages.profileSearch(session: admin, kinds: [value, "email"], kind: value, value: value, message: value).html)
            Self.checkInert(ConsolePages.ask(session: Self.session([.query], name: value)).html)
            Self.checkInert(ConsolePages.confirmErasure(session: admin, kind: value, value: value,
                                                        reach: .init(profileID: 4, identifiers: 2, mergedProfiles: 1, events: 3)).html)
            let at = Date(timeIntervalSince1970: 1_765_000_000)
            let request = PrivacyRequest(id: value, type: .export, status: .completed, subjectKind: value, subjectValue: value,
                                         subjectHash: value, actor: value, receivedAt: at, dueAt: at, startedAt: at, completedAt: at,
                                         counts: [value: 1], error: value)
            let pending = PrivacyRequest(id: value, type: .erasure, status: .pending, subjectKind: value, subjectValue: value,
                                         subjectHash: value, actor: value, receivedAt: at, dueAt: at, startedAt: nil, completedAt: nil,
                                         counts: [:], error: nil)
            let audit = AuditEntry(id: 1, at: at, actor: value, action: value, request: value, subjectKind: value, subjectHash: value,
                                   counts: [value: 2], error: value)
            Self.checkInert(ConsolePages.privacy(session: admin, kinds: [value], requests: [request, pending], audit: [audit],
                                                 settings: value, notice: value).html)
            let definitions = ["segment", "funnel", "metric", value].map { DefinitionInfo(kind: $0, name: value, source: value, updatedAt: at) }
            let sync = SyncInfo(name: value, destination: value, definition: value, query: value, fields: [value], every: 3600, backfill: true,
                                send: value, runs: 2, nextRunAt: at, lastRunAt: at, lastRunMilliseconds: 5, lastRun: [value: 1, "entered": 2],
                                lastError: value, members: 3, pending: 4, retrying: 5, deadLetters: 6)
            let letter = DeadLetter(id: 1, destination: value, sync: value, kind: value, profileID: 8, messageID: value, attempts: 3,
                                    lastStatus: 500, lastError: value, deadAt: at)
            let segments = ConsolePages.segments(session: admin, definitions: definitions, syncs: [sync], destinations: [], deadLetters: [letter]).html
            Self.checkInert(segments)
            #expect(segments.contains("<table id=\"syncs\">") && segments.contains("<table id=\"dead-letters\">"))
            let members = QueryResult(columns: [ResultColumn(name: "id", type: .number), ResultColumn(name: value, type: .text)],
                                      rows: [[.number("8"), .text(value)]])
            Self.checkInert(ConsolePages.segment(session: admin, info: SegmentInfo(name: value, definition: value, uses: [], updatedAt: at, members: 1),
                                                 members: members, next: 8, cursor: 1).html)
            let volume = TenantVolume(profiles: .init(value: 1, exact: true), events: .init(value: 200_000, exact: false),
                                      identities: .init(value: 2, exact: true), suppressedIdentifiers: 1, droppedMessages: 2)
            let arrived = ArrivedEvent(messageID: value, profileID: 8, type: value, name: value, ts: at, receivedAt: at, source: value, properties: value)
            let data = ConsolePages.data(session: admin, volume: volume,
                                         ingest: .init(accepted: 3, rejected: 1, lastRejection: value, lastRejectionAt: at), since: at,
                                         catalogue: [CatalogueName(kind: "trait", name: value, type: value, firstSeen: at, lastSeen: at)],
                                         recent: [arrived]).html
            Self.checkInert(data)
            #expect(data.contains("about 200000") && data.contains("data-received=\"2025-12-06T05:46:40Z\""))
        }
    }

    @Test func theNavigationAndTheButtonsFollowTheScopes() {
        func nav(_ html: String) -> [String] {
            html.matches(of: /<nav aria-label="Sections">(.*?)<\/nav>/).first.map { match in
                String(match.output.1).matches(of: /<a [^>]*>([^<]*)<\/a>/).map { String($0.output.1) }
            } ?? []
        }
        #expect(nav(ConsolePages.ask(session: Self.session([.query])).html) == ["Profiles", "Ask", "Segments", "Data"])
        #expect(nav(ConsolePages.ask(session: Self.session([.privacy])).html) == ["Privacy"])
        #expect(nav(ConsolePages.ask(session: Self.session([.query, .privacy, .admin])).html) == ["Profiles", "Ask", "Segments", "Data", "Privacy"])
        #expect(nav(ConsolePages.ask(session: Self.session([.ingest])).html) == [])
        // Syncs and destinations only for an admin key.
        let at = Date(timeIntervalSince1970: 0)
        #expect(!ConsolePages.segments(session: Self.session([.query]), definitions: [], syncs: nil, destinations: nil, deadLetters: nil).html
            .contains("Syncs"))
        #expect(ConsolePages.segments(session: Self.session([.query, .admin]), definitions: [DefinitionInfo(kind: "segment", name: "vip", source: "s", updatedAt: at)],
                                      syncs: [], destinations: [], deadLetters: []).html.contains("<h2 id=\"syncs-h\">Syncs</h2>"))
        // Unmerge only for an admin key.
        #expect(Self.profilePage(scopes: [.query, .admin], values: ["a"]).contains("/profiles/42/unmerge"))
        #expect(!Self.profilePage(scopes: [.query], values: ["a"]).contains("/profiles/42/unmerge"))
        // Every form that posts carries the session's CSRF token.
        let page = Self.profilePage(scopes: [.query, .admin], values: ["a", "b"])
        let forms = page.matches(of: /<form method="post"(?s:.*?)<\/form>/)
        #expect(forms.count == 3, "sign-out and two unmerges")
        for form in forms {
            #expect(String(form.output).contains("name=\"csrf\" value=\"csrf-token-1\""), "\(form.output)")
        }
    }

    @Test func theProfilePageMatchesItsGoldenCopy() throws {
        let html = Self.profilePage(scopes: [.query, .admin], values: ["ann@example.com", "<b>bold</b> & \"quoted\""])
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/console-profile.html")
        if ProcessInfo.processInfo.environment["RAPPORT_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try html.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(html == golden, "the profile page changed; if on purpose, run with RAPPORT_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func formsAndTokensAreReadStrictly() {
        #expect(ConsoleController.parseForm("a=1&b=x+y%20z&c=&a=2&%ZZ=bad&d") == ["a": "1", "b": "x y z", "c": "", "d": ""])
        #expect(ConsoleController.same("abc", "abc"))
        #expect(!ConsoleController.same("abc", "abd"))
        #expect(!ConsoleController.same("abc", "abcd"))
        #expect(!ConsoleController.same("", ""), "an empty token never matches")
        let token = Store.randomToken()
        #expect(token.utf8.count == 43 && token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(Store.randomToken() != token)
    }

    @Test func timesAreShownInUTC() {
        #expect(ConsolePages.time(Date(timeIntervalSince1970: 1_796_602_296)).html == "<time>2026-12-07 00:11:36 UTC</time>")
        #expect(ConsolePages.time(Date(timeIntervalSince1970: 0)).html == "<time>1970-01-01 00:00:00 UTC</time>")
        #expect(ConsolePages.time(Date(timeIntervalSince1970: -1)).html == "<time>1969-12-31 23:59:59 UTC</time>")
        #expect(ConsolePages.time(Date(timeIntervalSince1970: 951_782_400)).html == "<time>2000-02-29 00:00:00 UTC</time>")
    }
}
