import Foundation
import RapportTestSupport

/// A reproducible customer data workload: people with 1–3 devices and an email (most also a
/// user id), browsing anonymously, signing in, buying; about a fifth of them use a second
/// device anonymously before signing in there, so their profiles must merge.
struct Workload {
    /// One message as an NDJSON line (with `type`), in time order.
    var lines: [String]
    var people: Int
    /// People whose devices start as separate anonymous profiles.
    var mergingPeople: Int

    static func generate(people: Int, events: Int, seed: UInt64 = 42) -> Workload {
        var rng = SplitMix(seed: seed)
        let start = 1_704_067_200.0  // 2024-01-01
        let span = 90.0 * 86_400
        var timed: [(Double, String)] = []
        timed.reserveCapacity(events + people * 3)
        var merging = 0
        let perPerson = max(1, events / max(people, 1))
        for p in 0..<people {
            let devices = 1 + Int(rng.next() % 3)
            let identified = rng.next() % 10 < 7
            let merges = devices >= 2 && rng.next() % 100 < 30  // about 20% of all people
            if merges { merging += 1 }
            let userID = identified ? #""userId":"user-\#(p)","# : ""
            let email = "person\(p)@example.com"
            var t = start + Double(rng.next() % UInt64(span * 0.8))
            var k = 0
            func add(_ body: String) {
                timed.append((t, "{\(body),\"messageId\":\"m-\(p)-\(k)\",\"timestamp\":\"\(iso(t))\"}"))
                k += 1
                t += Double(30 + rng.next() % 3_600)
            }
            let count = 1 + Int(rng.next() % UInt64(2 * perPerson - 1))
            for d in 0..<devices {
                let device = "dev-\(p)-\(d)"
                // A merging person browses the second device anonymously before signing in there.
                if merges && d == 1 {
                    add(#""type":"page","anonymousId":"\#(device)","name":"Home","properties":{"path":"/"}"#)
                }
                add(#""type":"identify",\#(userID)"anonymousId":"\#(device)","traits":{"email":"\#(email)","plan":"\#(["free", "pro", "team"][Int(rng.next() % 3)])","country":"\#(["DE", "FR", "US", "GB", "NL"][Int(rng.next() % 5)])"}"#)
            }
            let budget = max(0, count - devices - (merges ? 1 : 0))
            for _ in 0..<budget {
                let device = "dev-\(p)-\(Int(rng.next() % UInt64(devices)))"
                let who = #"\#(userID)"anonymousId":"\#(device)""#
                switch rng.next() % 20 {
                case 0..<8: add(#""type":"page",\#(who),"name":"\#(["Home", "Pricing", "Docs", "Blog"][Int(rng.next() % 4)])","properties":{"path":"/p/\#(rng.next() % 50)"}"#)
                case 8..<14: add(#""type":"track",\#(who),"event":"Product Viewed","properties":{"sku":"SKU-\#(rng.next() % 500)","price":\#(5 + rng.next() % 200)}"#)
                case 14..<17: add(#""type":"track",\#(who),"event":"Added to Cart","properties":{"sku":"SKU-\#(rng.next() % 500)","quantity":\#(1 + rng.next() % 3)}"#)
                case 17..<19: add(#""type":"track",\#(who),"event":"Order Completed","properties":{"revenue":\#(10 + rng.next() % 500).\#(rng.next() % 100),"currency":"EUR","campaign":"\#(["none", "spring", "newsletter"][Int(rng.next() % 3)])"}"#)
                default: add(#""type":"identify",\#(who),"traits":{"last_login_day":\#(rng.next() % 90)}"#)
                }
            }
        }
        timed.sort { $0.0 < $1.0 }
        return Workload(lines: timed.map(\.1), people: people, mergingPeople: merging)
    }

    static func iso(_ t: Double) -> String {
        let formatter = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        return Date(timeIntervalSince1970: t).formatted(formatter)
    }
}
