import RapportQL

/// A copy of the test tenant's catalogue (`Tests/Fixtures/query-catalog.json`, which
/// `Tests/RapportQLTests/Fixtures.swift` reads), so that the examples check and compile
/// and the fuzzer reaches the SQL compiler. Kept here because an executable cannot
/// import a test target.
enum FuzzCatalog {
    static let entries: [(String, String, String)] = [
        ("event", "Order Completed", "event"), ("event", "added_to_cart", "event"), ("event", "coupon_applied", "event"),
        ("event", "login", "event"), ("event", "nps", "event"), ("event", "order_completed", "event"),
        ("event", "page", "event"), ("event", "product_viewed", "event"), ("event", "purchase", "event"),
        ("event", "referral", "event"), ("event", "refund", "event"), ("event", "screen", "event"), ("event", "signup", "event"),
        ("property", "Order Completed.amount", "number"), ("property", "Order Completed.currency", "text"),
        ("property", "Order Completed.order_id", "text"), ("property", "added_to_cart.price", "number"),
        ("property", "added_to_cart.quantity", "number"), ("property", "added_to_cart.sku", "text"),
        ("property", "coupon_applied.code", "text"), ("property", "coupon_applied.discount", "number"),
        ("property", "login.method", "text"), ("property", "nps.comment", "text"), ("property", "nps.score", "number"),
        ("property", "order_completed.amount", "number"), ("property", "order_completed.currency", "text"),
        ("property", "order_completed.order_id", "text"), ("property", "page.path", "text"),
        ("property", "product_viewed.category", "text"), ("property", "product_viewed.price", "number"),
        ("property", "product_viewed.sku", "text"), ("property", "purchase.amount", "number"),
        ("property", "purchase.amount", "text"), ("property", "purchase.currency", "text"),
        ("property", "purchase.items", "number"), ("property", "referral.channel", "text"),
        ("property", "referral.invitee", "text"), ("property", "refund.amount", "number"),
        ("property", "refund.order_id", "text"), ("property", "refund.reason", "text"), ("property", "signup.method", "text"),
        ("trait", "age", "number"), ("trait", "age", "text"), ("trait", "company", "text"), ("trait", "country", "null"),
        ("trait", "country", "text"), ("trait", "email", "text"), ("trait", "first name", "text"),
        ("trait", "last name", "text"), ("trait", "newsletter", "boolean"), ("trait", "newsletter", "text"),
        ("trait", "phone", "text"), ("trait", "plan", "text"), ("trait", "seats", "number"), ("trait", "seats", "text"),
    ]

    /// The default identity kinds, and two saved definitions so that `in NAME`, `segment NAME`
    /// and metrics resolve.
    static let catalog = CatalogSnapshot(
        entries: entries.map { CatalogSnapshot.Entry(kind: $0.0, name: $0.1, type: $0.2) },
        identityKinds: [
            IdentityKindInfo(name: "user_id", normalization: "trim"), IdentityKindInfo(name: "email", normalization: "email"),
            IdentityKindInfo(name: "phone", normalization: "phone"), IdentityKindInfo(name: "anonymous_id", normalization: "trim"),
        ],
        definitions: [
            Definition(kind: .segment, name: "fuzz_pros", source: "profiles | where plan = \"pro\""),
            Definition(kind: .metric, name: "fuzz_spend", source: "sum(purchase.amount)"),
            Definition(kind: .funnel, name: "fuzz_checkout", source: "signup -> purchase within 7 days"),
        ],
        destinations: ["fuzz_hook"], syncs: ["fuzz_sync"])
}
