import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import RapportServer
@testable import RapportStore

/// How errors the store raises reach clients.
@Suite struct ErrorShapeTests {
    @Test func overloadIsA503WithRetryAfter() throws {
        let error = APIError(from: IngestOverloaded(), requestID: "r1")
        #expect(error.status == .serviceUnavailable)
        #expect(error.code == "overloaded")
        #expect(error.headers[.retryAfter] == "1")
        let response = error.response()
        #expect(response.headers[.retryAfter] == "1")
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
    }

    @Test func unknownErrorsHideTheirDetails() {
        struct Secret: Error, CustomStringConvertible { var description: String { "SELECT * FROM t_acme.profiles" } }
        let error = APIError(from: Secret(), requestID: "r2")
        #expect(error.status == .internalServerError)
        #expect(!error.message.contains("SELECT"))
        #expect(error.message.contains("r2"))
    }

    @Test func messageErrorsKeepTheIndex() {
        let error = APIError(from: MessageError(index: 4, reason: "a message needs a `userId` or an `anonymousId`"), requestID: "r3")
        #expect(error.status == .badRequest)
        #expect(error.index == 4)
        #expect(error.message == "Message 4 of the batch: a message needs a `userId` or an `anonymousId`.")
    }
}
