import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RapportServer
import RapportStore
import RapportTestSupport

/// The application over a migrated test store; the store's pool runs outside the application
/// (so each test has its own).
func withTestApp(
    adminKey: String? = "operator-secret", migrate: Bool = true,
    _ body: @Sendable @escaping (any TestClientProtocol, Store, TestDatabase) async throws -> Void
) async throws {
    try await withTestStore(migrate: migrate) { store, database in
        let app = buildApplication(store: store, configuration: ServerConfiguration(adminKey: adminKey), services: [], logger: TestDatabase.logger)
        try await app.test(.router) { client in try await body(client, store, database) }
    }
}

/// The `{"error": {"code", "message"}}` body every failure has.
struct ErrorBody: Decodable {
    struct Inner: Decodable {
        var code: String
        var message: String
    }
    var error: Inner
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }
    var errorCode: String? { (try? decode(ErrorBody.self))?.error.code }
    var text: String { String(buffer: body) }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }
func basic(_ user: String, _ password: String = "") -> HTTPFields {
    [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
}
func json(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}
