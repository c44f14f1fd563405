/// `\help` and `\help KEYWORD`: the commands, and RQL's syntax with an example per keyword.
public enum ReplHelp {
    public static let overview = """
        Statements end with ; or a blank line. Tab completes keywords and the tenant's names.
          \\help KEYWORD        syntax and an example (\\help where, \\help funnel, \\help show …)
          \\d [NAME]            list traits, events, segments, metrics, funnels, syncs; or describe one
          \\explain QUERY       the SQL a query compiles to (\\explain analyze QUERY: and its plan)
          \\profile ID|KIND:V   a profile card: identities, traits with sources, segments, latest events
          \\format table|json|csv|ndjson   how results print
          \\o [FILE]            write results to FILE (\\o alone: to the screen again)
          \\timing              show the time each statement took (on by default)
          \\x [on|off|auto]     expanded display: one block per row (auto: when a table is wider than the screen)
          \\q                   quit (or Ctrl-D); Ctrl-C cancels a running query, or drops what is being typed
        Topics: \(topics.keys.sorted().joined(separator: ", "))
        """

    static let topics: [String: String] = [
        "profiles": "profiles | STAGE | …\n  the unified profiles, one per person\n  e.g. profiles | where plan = \"pro\" | select email, country | limit 10",
        "events": "events | STAGE | …\n  every event, newest last\n  e.g. events | where name = `Order Completed` within 7 days | group by props.campaign",
        "where": "| where PREDICATE\n  keeps the rows where it holds\n  e.g. profiles | where country in (\"DE\", \"FR\") and did `Order Completed` within 30 days",
        "select": "| select EXPR [as NAME], …\n  e.g. profiles | select email, sum(`Order Completed`.revenue) as spent",
        "group": "| group by FIELD, … [| select AGG, …]\n  e.g. profiles | group by plan, country",
        "order": "| order by EXPR [desc], …\n  e.g. profiles | order by last_seen desc | limit 20",
        "limit": "| limit N\n  e.g. profiles | limit 10",
        "count": "count SOURCE [where PREDICATE]\n  e.g. count profiles where plan = \"pro\"",
        "did": "did EVENT [where PREDICATE] [within DURATION]\n  e.g. profiles | where did `Added to Cart` within 7 days and not did `Order Completed` within 7 days",
        "segment": "segment NAME = QUERY   (saved; `segment NAME` is then a source)\n  e.g. segment buyers = profiles | where did `Order Completed`",
        "metric": "metric NAME = AGGREGATE\n  e.g. metric spent = sum(`Order Completed`.revenue)",
        "funnel": "funnel NAME = STEP -> STEP … [within D] [exclude EVENT] [order sequential|strict|any]\n  e.g. funnel checkout = `Product Viewed` -> `Added to Cart` -> `Order Completed` within 7 days\n  then: show funnel checkout [by FIELD]; funnel checkout dropped at 2",
        "sync": "sync NAME to DESTINATION = AUDIENCE [every D | manually] [backfill | no backfill] [send events|traits|events and traits]\n  sends who enters, changes and leaves the audience, with the select's fields (destinations: `rapport destinations add`)\n  e.g. sync vip to crm = segment vip | select email, plan, clv every 1 hour\n  then: show syncs; describe vip; `rapport syncs run vip`",
        "show": "show segments|funnels|metrics|traits|events|syncs | show funnel NAME | show tiers | show pareto [top N%]\n     | show lifecycle [by FIELD] | show retention by week|month [since T] | show value chain | show value settings\n  e.g. show retention by month",
        "describe": "describe NAME\n  e.g. describe buyers",
        "drop": "drop segment|funnel|metric|sync NAME\n  e.g. drop segment buyers",
        "explain": "explain [analyze] QUERY\n  e.g. explain profiles | where plan = \"pro\"",
        "set": "set value revenue|cost = EVENT.PROPERTY, … | set value discount = R% | set value tiers = P1%, P2%, P3%, P4%\n  e.g. set value discount = 8%",
        "lifecycle": "lifecycle stage NAME = PREDICATE   (reach, acquisition, development, retention, inspire)\n  e.g. lifecycle stage retention = last_order >= now - 60 days",
        "value": "revenue, cost, orders, first_order, last_order, clv, tier, recency, frequency, monetary, rfm, stage\n  e.g. profiles | where tier = \"platinum\" | select email, clv",
    ]

    public static func topic(_ name: String) -> String? {
        let key = name.lowercased().trimmingWhitespace()
        if let text = topics[key] { return text }
        switch key {
        case "tiers", "pareto", "retention": return topics["show"]
        case "by": return topics["group"]
        case "clv", "tier", "rfm", "stage", "revenue": return topics["value"]
        default: return nil
        }
    }
}
