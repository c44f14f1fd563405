import Foundation
import RapportQL
import RapportStore

/// The console's pages as HTML, from what the store answered: pure functions of their
/// arguments, so that tests render them without a server (`ConsolePagesTests`). Every value
/// from the data goes through ``Markup``'s escaping; no page holds an inline script or style
/// (the Content-Security-Policy forbids both): behaviour is in `/console/assets/*.js`.
enum ConsolePages {
    /// The sections of the navigation, each shown only to a key with its scope.
    enum Section: String, CaseIterable, Sendable {
        case profiles, ask, segments, data, privacy

        var title: String {
            switch self {
            case .profiles: "Profiles"
            case .ask: "Ask"
            case .segments: "Segments"
            case .data: "Data"
            case .privacy: "Privacy"
            }
        }
        var path: String { "/" + rawValue }
        var scope: Scope {
            switch self {
            case .profiles, .ask, .segments, .data: .query
            case .privacy: .privacy
            }
        }
    }

    /// A whole page: the head, the navigation of what `session`'s key may open, and `content`.
    static func document(title: String, session: ConsoleSession?, section: Section? = nil, csrf: String? = nil,
                         scripts: [String] = [], content: Markup) -> Markup {
        let token = session?.csrf ?? csrf ?? ""
        let nav: Markup
        if let session {
            let links = Section.allCases.filter { session.key.scopes.contains($0.scope) }.map { item -> Markup in
                item == section
                    ? "<a href=\"\(item.path)\" aria-current=\"page\">\(item.title)</a>"
                    : "<a href=\"\(item.path)\">\(item.title)</a>"
            }
            nav = """
                <nav aria-label="Sections">\(Markup.join(links))</nav>
                <div class="who"><span class="tenant" title="Tenant">\(session.key.tenant.name)</span>
                <span class="key" title="Signed in with this key">key \(session.key.id) · \(session.key.scopes.map(\.rawValue).sorted().joined(separator: ", "))</span>
                <form method="post" action="/sign-out"><input type="hidden" name="csrf" value="\(token)"><button type="submit" id="sign-out">Sign out</button></form></div>
                """
        } else {
            nav = ""
        }
        let scriptTags = Markup.join(scripts.map { "<script src=\"/console/assets/\($0)\" defer></script>" })
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(token)">
            <title>\(title) · Rapport</title>
            <link rel="stylesheet" href="/console/assets/console.css">
            \(scriptTags)
            </head>
            <body>
            <header><a class="brand" href="/">Rapport</a>\(nav)</header>
            <main id="main">
            \(content)
            </main>
            </body>
            </html>

            """
    }

    static func signIn(csrf: String, problem: String? = nil) -> Markup {
        let error: Markup = problem.map { "<p class=\"error\" role=\"alert\" id=\"problem\">\($0)</p>" } ?? ""
        return document(title: "Sign in", session: nil, csrf: csrf, content: """
            <h1>Sign in</h1>
            <p>Sign in with one of your tenant's API keys. Its scopes decide what the console lets you do:
            <code>query</code> for profiles and questions, <code>privacy</code> for the privacy centre, <code>admin</code> to unmerge.</p>
            \(error)
            <form method="post" action="/sign-in" class="stack">
            <input type="hidden" name="csrf" value="\(csrf)">
            <label for="key">API key</label>
            <input id="key" name="key" type="password" autocomplete="off" required autofocus placeholder="rapport_…">
            <button type="submit" id="sign-in">Sign in</button>
            </form>
            """)
    }

    /// A page that says what went wrong, in words.
    static func problem(session: ConsoleSession?, title: String, message: String) -> Markup {
        document(title: title, session: session, content: """
            <h1>\(title)</h1>
            <p class="error" role="alert" id="problem">\(message)</p>
            <p><a href="/">Back to the start</a></p>
            """)
    }

    // MARK: - Profiles

    /// The search form, with what the last search found (nothing, or a problem).
    static func profileSearch(session: ConsoleSession, kinds: [String], kind: String?, value: String?, message: String?) -> Markup {
        let options = Markup.join((["id"] + kinds).map { name -> Markup in
            let label = name == "id" ? "profile id" : name
            return name == (kind ?? "email")
                ? "<option value=\"\(name)\" selected>\(label)</option>"
                : "<option value=\"\(name)\">\(label)</option>"
        })
        let outcome: Markup = message.map { "<p class=\"notice\" role=\"status\" id=\"outcome\">\($0)</p>" } ?? ""
        return document(title: "Profiles", session: session, section: .profiles, content: """
            <h1>Profiles</h1>
            <form method="get" action="/profiles" class="inline" role="search">
            <label for="kind">Find by</label>
            <select id="kind" name="kind">\(options)</select>
            <label for="value" class="hidden">Value</label>
            <input id="value" name="value" value="\(value ?? "")" required placeholder="ann@example.com" autofocus>
            <button type="submit" id="find">Find</button>
            </form>
            \(outcome)
            """)
    }

    /// A live profile: its identities and where each came from, its traits with source and
    /// time, its events page by page, and its merges (with unmerge for an admin key).
    static func profile(session: ConsoleSession, profile: Profile, graph: IdentityGraph, timeline: TimelinePage,
                        eventNames: [String], event: String?, cursor: String?, notice: String? = nil) -> Markup {
        let id = profile.id
        let identities = Markup.join(profile.identities.sorted { ($0.kind, $0.value) < ($1.kind, $1.value) }.map { identity -> Markup in
            let via: Markup = identity.originProfileID.map { $0 == id ? "" : " (through a merge of profile \($0))" } ?? ""
            return """
                <tr><td>\(identity.kind)</td><td class="value">\(identity.value)</td><td>\(identity.source ?? "—")</td>
                <td><code>\(identity.messageID ?? "—")</code>\(via)</td><td>\(time(identity.firstSeen))</td><td>\(time(identity.lastSeen))</td></tr>
                """
        })
        let traits = Markup.join(profile.traits.sorted { $0.key < $1.key }.map { name, trait -> Markup in
            """
            <tr><td>\(name)</td><td class="value">\(traitText(trait.value))</td><td>\(trait.source ?? "—")</td><td>\(trait.at.map(time) ?? "—")</td></tr>
            """
        })
        let events = Markup.join(timeline.events.map { event -> Markup in
            """
            <tr><td>\(time(event.ts))</td><td>\(event.type)</td><td>\(event.name ?? "—")</td><td>\(event.source ?? "—")</td>
            <td><code class="json">\(event.properties.text)</code></td></tr>
            """
        })
        let filterOptions = Markup.join(([""] + eventNames).map { name -> Markup in
            let label = name.isEmpty ? "every event" : name
            return name == (event ?? "")
                ? "<option value=\"\(name)\" selected>\(label)</option>"
                : "<option value=\"\(name)\">\(label)</option>"
        })
        var pager: [Markup] = []
        if cursor != nil { pager.append("<a href=\"/profiles/\(id)\(eventQuery(event, cursor: nil))\">Newest events</a>") }
        if let next = timeline.nextCursor { pager.append("<a id=\"older\" href=\"/profiles/\(id)\(eventQuery(event, cursor: next))\">Older events</a>") }
        let canUnmerge = session.key.scopes.contains(.admin)
        let merges = Markup.join(graph.merges.map { merge -> Markup in
            let undo: Markup
            if merge.undoneAt != nil {
                undo = "undone \(time(merge.undoneAt!))"
            } else if canUnmerge && merge.survivorID == id {
                undo = """
                    <form method="post" action="/profiles/\(id)/unmerge" class="confirm" data-confirm="Unmerge profile \(merge.mergedID) from profile \(id)? Its identifiers and events go back to it.">
                    <input type="hidden" name="csrf" value="\(session.csrf)"><input type="hidden" name="merged_id" value="\(merge.mergedID)">
                    <button type="submit" class="danger">Unmerge</button></form>
                    """
            } else {
                undo = ""
            }
            return """
                <tr><td>\(time(merge.at))</td><td>\(merge.mergedID) into \(merge.survivorID)</td>
                <td>\(merge.kind.map { "\($0) " } ?? "")<span class="value">\(merge.value ?? "")</span></td><td>\(merge.reason)</td>
                <td><code>\(merge.messageID ?? "—")</code></td><td>\(undo)</td></tr>
                """
        })
        let conflicts = Markup.join(graph.conflicts.map { conflict -> Markup in
            """
            <li>\(conflict.kind) <span class="value">\(conflict.value)</span> left out (\(conflict.reason)) from message <code>\(conflict.messageID)</code></li>
            """
        })
        let noticeMarkup: Markup = notice.map { "<p class=\"notice\" role=\"status\" id=\"outcome\">\($0)</p>" } ?? ""
        return document(title: "Profile \(id)", session: session, section: .profiles, scripts: ["console.js"], content: """
            <p><a href="/profiles">← Find another profile</a></p>
            <h1>Profile \(id)</h1>
            \(noticeMarkup)
            <p class="meta">Created \(time(profile.createdAt)), updated \(time(profile.updatedAt)).\(graph.members.count > 1 ? " Holds \(graph.members.count - 1) merged profile\(graph.members.count == 2 ? "" : "s")." : "")</p>
            <section aria-labelledby="identities-h"><h2 id="identities-h">Identities</h2>
            <div class="scroll"><table id="identities"><thead><tr><th>Kind</th><th>Value</th><th>Source</th><th>Brought by message</th><th>First seen</th><th>Last seen</th></tr></thead>
            <tbody>\(identities)</tbody></table></div></section>
            <section aria-labelledby="membership-h" id="membership" data-profile="\(id)"><h2 id="membership-h">Segments and syncs</h2>
            <p id="membership-status" role="status">Working out which saved segments hold this profile…</p></section>
            <section aria-labelledby="traits-h"><h2 id="traits-h">Traits</h2>
            \(profile.traits.isEmpty ? "<p>No traits.</p>" as Markup : """
            <div class="scroll"><table id="traits"><thead><tr><th>Trait</th><th>Value</th><th>Source</th><th>Set at</th></tr></thead><tbody>\(traits)</tbody></table></div>
            """)</section>
            <section aria-labelledby="events-h"><h2 id="events-h">Events</h2>
            <form method="get" action="/profiles/\(id)" class="inline"><label for="event">Show</label>
            <select id="event" name="event">\(filterOptions)</select><button type="submit" id="filter">Filter</button></form>
            \(timeline.events.isEmpty ? "<p id=\"no-events\">No events\(event.map { " named \($0)" } ?? "").</p>" as Markup : """
            <div class="scroll"><table id="events"><thead><tr><th>Time</th><th>Type</th><th>Name</th><th>Source</th><th>Properties</th></tr></thead><tbody>\(events)</tbody></table></div>
            """)
            <p class="pager">\(Markup.join(pager, separator: " · "))</p></section>
            <section aria-labelledby="merges-h"><h2 id="merges-h">Merge history</h2>
            \(graph.merges.isEmpty ? "<p>This profile was never merged with another.</p>" as Markup : """
            <p>Why this profile holds what it holds: each merge, the identifier that joined the two, and the message that brought it.</p>
            <div class="scroll"><table id="merges"><thead><tr><th>When</th><th>Merge</th><th>Through</th><th>Why</th><th>Message</th><th></th></tr></thead><tbody>\(merges)</tbody></table></div>
            """)
            \(graph.conflicts.isEmpty ? "" : "<h3>Identifiers left out</h3><ul id=\"conflicts\">\(conflicts)</ul>" as Markup)
            </section>
            """)
    }

    static func eventQuery(_ event: String?, cursor: String?) -> Markup {
        var parts: [Markup] = []
        if let event { parts.append("event=\(url: event)") }
        if let cursor { parts.append("cursor=\(url: cursor)") }
        return parts.isEmpty ? "" : "?\(Markup.join(parts, separator: "&amp;"))"
    }

    // MARK: - Ask

    static func ask(session: ConsoleSession) -> Markup {
        document(title: "Ask", session: session, section: .ask, scripts: ["ask.js"], content: """
            <h1>Ask</h1>
            <p>Write RQL; problems are marked as you type. <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs the query.</p>
            <div class="editor">
            <label for="rql" class="hidden">RQL</label>
            <textarea id="rql" spellcheck="false" autocomplete="off" rows="6" aria-describedby="diagnostics">profiles | where plan = "pro" | count</textarea>
            <pre id="marks" aria-hidden="true"></pre>
            </div>
            <div class="actions"><button type="button" id="run">Run</button><button type="button" id="cancel" disabled>Cancel</button>
            <span id="status" role="status"></span></div>
            <ul id="diagnostics" aria-live="polite"></ul>
            <div id="chart"></div>
            <div id="result"></div>
            """)
    }

    // MARK: - Segments and syncs

    /// The saved definitions, and (for an admin key) the syncs and destinations with their
    /// last runs, deliveries, failures and dead letters.
    static func segments(session: ConsoleSession, definitions: [DefinitionInfo], syncs: [SyncInfo]?,
                         destinations: [DestinationStatus]?, deadLetters: [DeadLetter]?) -> Markup {
        let kinds = ["segment": "Segments", "funnel": "Funnels", "metric": "Metrics"]
        var sections: [Markup] = []
        for kind in ["segment", "funnel", "metric"] + Set(definitions.map(\.kind)).subtracting(kinds.keys).sorted() {
            let list = definitions.filter { $0.kind == kind }
            let title = kinds[kind] ?? kind.replacingOccurrences(of: "_", with: " ").capitalized
            let rows = Markup.join(list.map { item -> Markup in
                let name: Markup = kind == "segment" ? "<a href=\"/segments/\(url: item.name)\">\(item.name)</a>" : "\(item.name)"
                // A segment's member count is asked for after the page shows (console.js), one at a time.
                let members: Markup = kind == "segment" ? "<td class=\"num\" data-count=\"\(item.name)\">…</td>" : ""
                return "<tr><td>\(name)</td><td><code class=\"rql\">\(item.source)</code></td><td>\(time(item.updatedAt))</td>\(members)</tr>"
            })
            sections.append("""
                <section aria-labelledby="\(kind)-h"><h2 id="\(kind)-h">\(title)</h2>
                \(list.isEmpty ? "<p>None saved.</p>" as Markup : """
                <div class="scroll"><table id="\(kind)s"><thead><tr><th>Name</th><th>Definition</th><th>Saved</th>\(kind == "segment" ? "<th>Members</th>" as Markup : "")</tr></thead><tbody>\(rows)</tbody></table></div>
                """)</section>
                """)
        }
        if let syncs, let destinations {
            let syncRows = Markup.join(syncs.map { sync -> Markup in
                let last = ["entered", "changed", "exited"].map { "\($0) \(sync.lastRun[$0] ?? 0)" }.joined(separator: ", ")
                return """
                    <tr><td>\(sync.name)</td><td>\(sync.destination)</td><td><code class="rql">\(sync.query)</code></td>
                    <td>\(sync.every.map { "every \($0) s" } ?? "manually")</td><td>\(sync.lastRunAt.map(time) ?? "never")</td>
                    <td class="num">\(sync.members)</td><td>\(sync.lastRunAt == nil ? "—" : last)</td>
                    <td class="num">\(sync.pending)</td><td class="num">\(sync.retrying)</td><td class="num">\(sync.deadLetters)</td>
                    <td>\(sync.lastError ?? "")</td></tr>
                    """
            })
            let destinationRows = Markup.join(destinations.map { status -> Markup in
                let errors = status.lastErrors.prefix(3).map { failure in
                    "\(failure.status.map { "HTTP \($0): " } ?? "")\(failure.error)"
                }.joined(separator: " · ")
                return """
                    <tr><td>\(status.destination.name)</td><td>\(status.destination.kind.rawValue)</td><td>\(status.destination.paused ? "paused" : "on")</td>
                    <td class="num">\(status.delivered)</td><td>\(status.lastDeliveredAt.map(time) ?? "—")</td><td class="num">\(status.pending)</td>
                    <td class="num">\(status.retrying)</td><td class="num">\(status.deadLetters)</td><td>\(errors)</td></tr>
                    """
            })
            let letters = Markup.join((deadLetters ?? []).map { letter -> Markup in
                """
                <tr><td>\(time(letter.deadAt))</td><td>\(letter.destination)</td><td>\(letter.sync)</td><td>\(letter.kind)</td>
                <td><a href="/profiles/\(letter.profileID)">\(letter.profileID)</a></td><td class="num">\(letter.attempts)</td>
                <td>\(letter.lastStatus.map { "HTTP \($0) " } ?? "")\(letter.lastError ?? "")</td></tr>
                """
            })
            sections.append("""
                <section aria-labelledby="syncs-h"><h2 id="syncs-h">Syncs</h2>
                \(syncs.isEmpty ? "<p>No syncs.</p>" as Markup : """
                <div class="scroll"><table id="syncs"><thead><tr><th>Sync</th><th>To</th><th>Audience</th><th>Runs</th><th>Last run</th><th>Members</th><th>Last run's changes</th><th>Waiting</th><th>Retrying</th><th>Dead letters</th><th>Last error</th></tr></thead><tbody>\(syncRows)</tbody></table></div>
                """)</section>
                <section aria-labelledby="destinations-h"><h2 id="destinations-h">Destinations</h2>
                \(destinations.isEmpty ? "<p>No destinations.</p>" as Markup : """
                <div class="scroll"><table id="destinations"><thead><tr><th>Destination</th><th>Kind</th><th>State</th><th>Delivered</th><th>Last delivery</th><th>Waiting</th><th>Retrying</th><th>Dead letters</th><th>Last errors</th></tr></thead><tbody>\(destinationRows)</tbody></table></div>
                """)
                \((deadLetters ?? []).isEmpty ? "" : """
                <h3>Dead letters</h3><p>Replay them with <code>rapport destinations replay</code> or <code>POST /v1/destinations/NAME/dead-letters/replay</code>.</p>
                <div class="scroll"><table id="dead-letters"><thead><tr><th>Dead since</th><th>Destination</th><th>Sync</th><th>Record</th><th>Profile</th><th>Attempts</th><th>Last error</th></tr></thead><tbody>\(letters)</tbody></table></div>
                """ as Markup)
                </section>
                """)
        }
        return document(title: "Segments", session: session, section: .segments, scripts: ["console.js"], content: """
            <h1>Segments and syncs</h1>
            <p>What is saved (define more on the <a href="/ask">Ask</a> page: <code>segment NAME = …</code>).</p>
            \(Markup.join(sections))
            """)
    }

    /// One segment: its definition, how many profiles it holds now, and its members page by page.
    static func segment(session: ConsoleSession, info: SegmentInfo, members: QueryResult, next: Int64?, cursor: Int64?) -> Markup {
        let header = Markup.join(members.columns.map { "<th>\($0.name)</th>" as Markup })
        let rows = Markup.join(members.rows.map { row -> Markup in
            let cells = Markup.join(zip(members.columns, row).map { column, value -> Markup in
                if column.name == "id", case .number(let id) = value { return "<td><a href=\"/profiles/\(url: id)\">\(id)</a></td>" }
                return "<td>\(value.display)</td>"
            })
            return "<tr>\(cells)</tr>"
        })
        var pager: [Markup] = []
        if cursor != nil { pager.append("<a href=\"/segments/\(url: info.name)\">First members</a>") }
        if let next { pager.append("<a id=\"next-members\" href=\"/segments/\(url: info.name)?cursor=\(next)\">Next members</a>") }
        return document(title: "Segment \(info.name)", session: session, section: .segments, content: """
            <p><a href="/segments">← Segments</a></p>
            <h1>Segment \(info.name)</h1>
            <p><code class="rql" id="definition">\(info.definition)</code></p>
            <p id="member-count">\(info.members.map { "\($0) member\($0 == 1 ? "" : "s") now." } ?? "")</p>
            <div class="scroll"><table id="members"><thead><tr>\(header)</tr></thead><tbody>\(rows)</tbody></table></div>
            <p class="pager">\(Markup.join(pager, separator: " · "))</p>
            """)
    }

    // MARK: - Data

    /// What the tenant holds and takes in: counts, the catalogue, and the newest events as
    /// they arrive (data.js adds them without a reload).
    static func data(session: ConsoleSession, volume: TenantVolume, ingest: IngestTally.Counts, since: Date, catalogue: [CatalogueName],
                     recent: [ArrivedEvent], busy: Bool = false) -> Markup {
        func count(_ c: TenantVolume.Count) -> String { c.exact ? "\(c.value)" : "about \(c.value)" }
        let names = Markup.join(catalogue.map { entry -> Markup in
            "<tr><td>\(entry.kind)</td><td>\(entry.name)</td><td>\(entry.type)</td><td>\(time(entry.firstSeen))</td><td>\(time(entry.lastSeen))</td></tr>"
        })
        let rows = Markup.join(recent.map(arrivedRow))
        let rejection: Markup = ingest.lastRejection.map { reason in
            "<p id=\"last-rejection\">The last refusal\(ingest.lastRejectionAt.map { " (\(time($0)))" as Markup } ?? ""): \(reason)</p>"
        } ?? ""
        return document(title: "Data", session: session, section: .data, scripts: ["data.js"], content: """
            <h1>Data</h1>
            <section aria-labelledby="counts-h"><h2 id="counts-h">What the tenant holds</h2>
            <table id="counts" class="narrow"><tbody>
            <tr><th scope="row">Profiles</th><td class="num">\(count(volume.profiles))</td></tr>
            <tr><th scope="row">Events</th><td class="num">\(count(volume.events))</td></tr>
            <tr><th scope="row">Identifiers</th><td class="num">\(count(volume.identities))</td></tr>
            <tr><th scope="row">Suppressed identifiers</th><td class="num" id="suppressed">\(volume.suppressedIdentifiers)</td></tr>
            <tr><th scope="row">Messages dropped as suppressed</th><td class="num" id="dropped">\(volume.droppedMessages)</td></tr>
            <tr><th scope="row">Messages stored by this server since \(time(since))</th><td class="num" id="accepted">\(ingest.accepted)</td></tr>
            <tr><th scope="row">Requests refused since then</th><td class="num" id="rejected">\(ingest.rejected)</td></tr>
            </tbody></table>
            \(rejection)</section>
            <section aria-labelledby="live-h"><h2 id="live-h">Arriving events</h2>
            <p>The newest first (of the last hour); new ones appear as they arrive. <span id="live-status" role="status">\(busy
                ? "So many events arrived in the last hour (an import?) that listing the newest took too long; new arrivals will show here."
                : recent.isEmpty ? "No events arrived in the last hour." : "")</span></p>
            <div class="scroll"><table id="live"><thead><tr><th>Arrived</th><th>Time</th><th>Type</th><th>Name</th><th>Profile</th><th>Source</th><th>Properties</th></tr></thead>
            <tbody>\(rows)</tbody></table></div></section>
            <section aria-labelledby="catalogue-h"><h2 id="catalogue-h">Catalogue</h2>
            <p>Every trait, event and property name the data has used, with its types.</p>
            <div class="scroll"><table id="catalogue"><thead><tr><th>Kind</th><th>Name</th><th>Type</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>\(names)</tbody></table></div>
            </section>
            """)
    }

    static func arrivedRow(_ event: ArrivedEvent) -> Markup {
        """
        <tr data-message="\(event.messageID)" data-received="\(isoTime(event.receivedAt))"><td>\(time(event.receivedAt))</td><td>\(time(event.ts))</td><td>\(event.type)</td><td>\(event.name ?? "—")</td>
        <td><a href="/profiles/\(event.profileID)">\(event.profileID)</a></td><td>\(event.source ?? "—")</td><td><code class="json">\(event.properties)</code></td></tr>
        """
    }

    // MARK: - Privacy

    /// What an erasure filed now would reach: the profile holding the identifier (if any),
    /// its identifiers, and the profiles merged into it.
    struct ErasureReach: Sendable {
        var profileID: Int64?
        var identifiers: Int
        var mergedProfiles: Int
        var events: Int
    }

    /// The privacy centre: file a request, follow the requests, read the audit log, and the
    /// Art. 15 settings.
    static func privacy(session: ConsoleSession, kinds: [String], requests: [PrivacyRequest], audit: [AuditEntry],
                        settings: String, notice: String? = nil) -> Markup {
        let csrf = session.csrf
        let typeOptions = Markup.join(PrivacyRequest.Kind.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" as Markup })
        let kindOptions = Markup.join(kinds.map { kind -> Markup in
            kind == "email" ? "<option value=\"\(kind)\" selected>\(kind)</option>" : "<option value=\"\(kind)\">\(kind)</option>"
        })
        let rows = Markup.join(requests.map { request -> Markup in
            let counts = request.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            var actions: [Markup] = []
            if request.type == .export && request.status == .completed {
                actions.append("<a href=\"/v1/privacy/requests/\(url: request.id)/export\" download=\"export-\(request.id).json\" class=\"download\">Download</a>")
            }
            if request.status == .pending {
                actions.append("""
                    <form method="post" action="/privacy/requests/\(url: request.id)/cancel"><input type="hidden" name="csrf" value="\(csrf)"><button type="submit">Cancel</button></form>
                    """)
            }
            return """
                <tr data-request="\(request.id)" data-status="\(request.status.rawValue)"><td><code>\(request.id)</code></td><td>\(request.type.rawValue)</td>
                <td>\(request.subjectKind)\(request.subjectValue.map { " \($0)" } ?? "")</td><td class="status">\(request.status.rawValue)</td>
                <td>\(time(request.receivedAt))</td><td>\(time(request.dueAt))</td><td>\(request.completedAt.map(time) ?? "—")</td>
                <td class="counts">\(counts.isEmpty ? "—" : counts)\(request.error.map { " — \($0)" } ?? "")</td><td>\(Markup.join(actions))</td></tr>
                """
        })
        let auditRows = Markup.join(audit.prefix(50).map { entry -> Markup in
            let counts = (entry.counts ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return """
                <tr><td>\(time(entry.at))</td><td>\(entry.actor)</td><td>\(entry.action)</td><td><code>\(entry.request ?? "—")</code></td><td>\(counts)</td></tr>
                """
        })
        let noticeMarkup: Markup = notice.map { "<p class=\"notice\" role=\"status\" id=\"outcome\">\($0)</p>" } ?? ""
        return document(title: "Privacy", session: session, section: .privacy, scripts: ["console.js", "privacy.js"], content: """
            <h1>Privacy centre</h1>
            \(noticeMarkup)
            <section aria-labelledby="file-h"><h2 id="file-h">File a request</h2>
            <p>An erasure deletes everything held on the person and suppresses their identifiers; an export gathers it in one
            document; a suppression drops later messages that carry the identifier; an unsuppression lifts one.
            Before an erasure is filed you see what it will reach.</p>
            <form method="post" action="/privacy/requests" class="inline" id="file">
            <input type="hidden" name="csrf" value="\(csrf)">
            <label for="type">Request</label><select id="type" name="type">\(typeOptions)</select>
            <label for="subject-kind">for the</label><select id="subject-kind" name="kind">\(kindOptions)</select>
            <label for="subject-value" class="hidden">Identifier</label>
            <input id="subject-value" name="value" required placeholder="ann@example.com">
            <button type="submit" id="file-request">File</button>
            </form></section>
            <section aria-labelledby="requests-h"><h2 id="requests-h">Requests</h2>
            \(requests.isEmpty ? "<p>No requests yet.</p>" as Markup : """
            <div class="scroll"><table id="requests"><thead><tr><th>Request</th><th>Type</th><th>Subject</th><th>Status</th><th>Received</th><th>Due</th><th>Completed</th><th>Counts</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)</section>
            <section aria-labelledby="audit-h"><h2 id="audit-h">Audit log</h2>
            <p>The newest 50 entries. Subjects appear only as keyed hashes.</p>
            <div class="scroll"><table id="audit"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Request</th><th>Counts</th></tr></thead><tbody>\(auditRows)</tbody></table></div>
            </section>
            <section aria-labelledby="settings-h"><h2 id="settings-h">Art. 15 settings</h2>
            <p>What an export tells the person besides their data (purposes, recipients, retention, …), as JSON.</p>
            <form method="post" action="/privacy/settings" class="stack wide">
            <input type="hidden" name="csrf" value="\(csrf)">
            <label for="settings" class="hidden">Settings (JSON)</label>
            <textarea id="settings" name="settings" rows="10" spellcheck="false">\(settings)</textarea>
            <button type="submit" id="save-settings">Save settings</button>
            </form></section>
            """)
    }

    /// The confirmation an erasure needs, with what it will reach.
    static func confirmErasure(session: ConsoleSession, kind: String, value: String, reach: ErasureReach) -> Markup {
        let what: Markup
        if let id = reach.profileID {
            what = """
                It will erase <strong id="reach-profiles">\(1 + reach.mergedProfiles) profile\(reach.mergedProfiles == 0 ? "" : "s")</strong>
                (<a href="/profiles/\(id)">profile \(id)</a>\(reach.mergedProfiles > 0 ? " and the \(reach.mergedProfiles) merged into it" : "")),
                with <strong id="reach-identifiers">\(reach.identifiers) identifier\(reach.identifiers == 1 ? "" : "s")</strong>
                and <strong id="reach-events">\(reach.events) event\(reach.events == 1 ? "" : "s")</strong>, and suppress the identifiers.
                """
        } else {
            what = "No profile holds it now: <strong id=\"reach-profiles\">0 profiles</strong>. The identifier will be suppressed, so that nothing carrying it is taken in again."
        }
        return document(title: "Confirm the erasure", session: session, section: .privacy, content: """
            <h1>Confirm the erasure</h1>
            <p>An erasure of the \(kind) <strong class="value">\(value)</strong>. \(what)</p>
            <p>It cannot be undone.</p>
            <form method="post" action="/privacy/requests" class="inline">
            <input type="hidden" name="csrf" value="\(session.csrf)"><input type="hidden" name="type" value="erasure">
            <input type="hidden" name="kind" value="\(kind)"><input type="hidden" name="value" value="\(value)"><input type="hidden" name="confirmed" value="yes">
            <button type="submit" class="danger" id="confirm-erasure">Erase</button> <a href="/privacy">Cancel</a>
            </form>
            """)
    }

    // MARK: - Formatting

    /// ISO 8601 in UTC to the second, as the API writes times (data.js compares the two).
    static func isoTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    static func time(_ date: Date) -> Markup {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rest = seconds - days * 86400
        let (y, m, d) = CivilDate.civil(days: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = "\(y)-\(two(m))-\(two(d)) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) UTC"
        return "<time>\(text)</time>"
    }

    /// A trait's JSON as a person reads it: a string without its quotes, anything else as JSON.
    static func traitText(_ value: RawJSON) -> String {
        if value.text.hasPrefix("\""), let text = try? JSONDecoder().decode(String.self, from: Data(value.text.utf8)) { return text }
        return value.text
    }
}
