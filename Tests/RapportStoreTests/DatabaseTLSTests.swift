import Foundation
import Logging
import NIOPosix
import PostgresNIO
import RapportTestSupport
import Testing
@testable import RapportStore

/// `sslmode` in DATABASE_URL means what it means to libpq. The test cluster listens on
/// 127.0.0.1 with a self-signed certificate, as a Citus coordinator does out of the box.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RAPPORT_TEST_TLS_URL"] != nil, "needs scripts/test's PostgreSQL on TCP"))
struct DatabaseTLSTests {
    let url = ProcessInfo.processInfo.environment["RAPPORT_TEST_TLS_URL"] ?? ""
    let certificate = ProcessInfo.processInfo.environment["RAPPORT_TEST_TLS_CERT"] ?? ""

    /// Whether the connection `text` describes is encrypted, as the server sees it.
    func encrypted(_ text: String) async throws -> Bool {
        let logger = Logger(label: "tls-test")
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: try DatabaseURL(text).connectionConfiguration(),
            id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
        var ssl = false
        for try await value in rows.decode(Bool.self) { ssl = value }
        return ssl
    }

    @Test func preferAndRequireEncryptWithoutCheckingTheCertificate() async throws {
        #expect(try await encrypted(url))  // prefer is the default
        #expect(try await encrypted(url + "?sslmode=prefer"))
        #expect(try await encrypted(url + "?sslmode=require"))
        #expect(try await encrypted(url + "?sslmode=disable") == false)
    }

    @Test func verifyModesCheckTheCertificate() async throws {
        // Not signed by anything the system trusts.
        try await expectCertificateRefused(url + "?sslmode=verify-ca")
        // Trusted as its own authority: verify-ca passes; verify-full also wants the name, which is not 127.0.0.1.
        #expect(try await encrypted(url + "?sslmode=verify-ca&sslrootcert=\(certificate)"))
        try await expectCertificateRefused(url + "?sslmode=verify-full&sslrootcert=\(certificate)")
        // As libpq: require with a root certificate checks the chain.
        #expect(try await encrypted(url + "?sslmode=require&sslrootcert=\(certificate)"))
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("other-ca-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let made = try await ChildProcess.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                                            "-subj", "/CN=other", "-keyout", "/dev/null", "-out", elsewhere])
        try #require(made.succeeded, "\(made.output)")
        try await expectCertificateRefused(url + "?sslmode=require&sslrootcert=\(elsewhere)")
    }

    /// Connecting fails, and on the server's certificate (not on anything else).
    func expectCertificateRefused(_ text: String) async throws {
        let error = await #expect(throws: (any Error).self) { _ = try await encrypted(text) }
        let account = String(reflecting: error).lowercased()
        #expect(account.contains("certificate") || account.contains("ssl") || account.contains("handshake"), "\(account)")
    }

    @Test func theRootCertificateIsReadFromTheURL() throws {
        let parsed = try DatabaseURL("postgres://a@db.example/crm?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem")
        #expect(parsed.sslMode == "verify-full")
        #expect(parsed.sslRootCertificate == "/etc/ssl/ca.pem")
        #expect(try DatabaseURL("postgres://a@db.example/crm").sslRootCertificate == nil)
    }
}
