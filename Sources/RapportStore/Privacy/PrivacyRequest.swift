import Foundation

/// A data subject's request under the GDPR, as compliance staff file it and as Rapport carries
/// it out: pending -> running -> completed | failed, or pending -> cancelled.
public struct PrivacyRequest: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Art. 17: delete everything held on the subject and suppress its identifiers.
        case erasure
        /// Art. 15 and 20: one JSON document with everything held on the subject.
        case export
        /// Drop later messages carrying the subject's identifiers; keep what is held.
        case suppress
        /// Lift a suppression; nothing erased comes back.
        case unsuppress
    }

    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, running, completed, failed, cancelled

        /// Whether the request has ended (its subject is then kept only as a keyed hash).
        public var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
    }

    public var id: String
    public var type: Kind
    public var status: Status
    /// The identity kind of the identifier the request named (`email`, `user_id`, …).
    public var subjectKind: String
    /// The identifier, only while the request is pending or running.
    public var subjectValue: String?
    /// The keyed hash (HMAC-SHA256 under the tenant's secret, hex) of `kind:value`.
    public var subjectHash: String
    /// Who asked: `key:<id>` for an API key, `cli:<user>` for the command line.
    public var actor: String
    public var receivedAt: Date
    /// One month after receipt (GDPR Art. 12(3)).
    public var dueAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    /// What the request did: rows deleted per table, identifiers suppressed, messages dropped since, …
    public var counts: [String: Int64]
    /// Why a failed request failed (never personal data).
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id, type, status, actor, counts, error
        case subjectKind = "subject_kind"
        case subjectValue = "subject_value"
        case subjectHash = "subject_hash"
        case receivedAt = "received_at"
        case dueAt = "due_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
    }
}

/// The identifier a request names: `{"email": "ann@example.com"}` or any identity kind.
public struct PrivacySubject: Sendable, Equatable {
    public var kind: String
    public var value: String

    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }
}

/// One line of the privacy audit log: who did what, when, with what counts. Holds no personal
/// data: the subject appears only as its keyed hash.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    /// `privacy.erasure.requested`, `privacy.erasure.completed`, `privacy.export.downloaded`, …
    public var action: String
    public var request: String?
    public var subjectKind: String?
    public var subjectHash: String?
    public var counts: [String: Int64]?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, request, counts, error
        case subjectKind = "subject_kind"
        case subjectHash = "subject_hash"
    }
}
