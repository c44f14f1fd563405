import Logging
import RapportStore

/// The demo tenant that `serve --demo` provides for the README's tour.
enum DemoTenant {
    static let slug = "demo"
    static let keyName = "demo key"

    /// Creates the tenant if missing and returns a fresh key with every scope. Keys printed by
    /// earlier runs stay valid, so restarting the demo (to turn on the operator API, say) does
    /// not take away the key a newcomer is using.
    static func prepare(store: Store, logger: Logger) async throws -> String {
        if try await store.tenant(slug: slug) == nil {
            _ = try await store.createTenant(slug: slug, name: "Demo Inc", actor: "serve --demo")
            logger.info("created the demo tenant `\(slug)`")
        }
        // What every export tells the person (GDPR Art. 15); a real tenant states its own.
        if let tenant = try await store.tenant(slug: slug), try await store.privacySettings(tenant: tenant) == .object([:]) {
            try await store.setPrivacySettings(.object([
                "controller": .string("Demo Inc, 1 Example Street, privacy@demo.example"),
                "purposes": .array(["product analytics", "customer support", "billing"].map(JSONValue.string)),
                "categories": .array(["identifiers", "contact details", "product usage events", "purchases"].map(JSONValue.string)),
                "recipients": .array([.string("none outside Demo Inc")]),
                "retention": .string("24 months after the last activity"),
                "rights": .string("You may ask for access, correction, erasure, restriction and portability at privacy@demo.example."),
            ]), tenant: tenant, actor: "serve --demo")
        }
        let created = try await store.createKey(
            tenant: slug, scopes: Scope.allCases, source: "demo", name: keyName, actor: "serve --demo")
        return created.key
    }

    static func instructions(url: String, key: String) -> String {
        """

        Rapport is ready at \(url), with the demo tenant `\(slug)`.
        Its key (all scopes) is printed above on standard output; it is shown only once.
        Keys printed by earlier runs stay valid (`rapport keys list --tenant demo` lists them).

        The web console: \(url)/ (sign in with the key).

        Try:
          curl -s \(url)/readyz
          curl -s -u '\(key):' \(url)/v1/whoami
          curl -s -H 'Authorization: Bearer \(key)' \(url)/v1/keys

        Stop with Ctrl-C.
        """
    }
}
