import Foundation

/// What this process knows of tenants' identifiers, so that ingestion need not look up the
/// same identifiers in PostgreSQL batch after batch.
///
/// Safe across processes: every transaction that writes identities advances the tenant's
/// `ingest_state.epoch`; a tenant's cache is used only if the epoch a transaction finds is the
/// one this cache last wrote, and is emptied otherwise. A cache is updated only after its
/// transaction commits.
///
/// Bounded for the process as a whole: past ``capacity`` identifiers over all tenants, the
/// least recently used tenants' caches are dropped (they reload from PostgreSQL as needed),
/// so a server with many large tenants holds no more than one bound.
public final class IdentityCache: @unchecked Sendable {
    /// One million identifiers, about 200 MB as measured.
    public static let defaultCapacity = 1_000_000

    struct Entry {
        var profile: Int64
        /// Microseconds since 1970.
        var lastSeen: Int64
    }

    struct TenantState {
        var epoch: Int64 = -1
        var identities: [IdentityKey: Entry] = [:]
        /// Identifiers per kind of live profiles whose counts are known.
        var counts: [Int64: [String: Int]] = [:]
        /// Profiles merged away, to the profile they joined (entries may name either).
        var mergedInto: [Int64: Int64] = [:]
        /// Whether `identities` holds every identifier of the tenant, so that one not in it is new.
        var complete = false

        /// The cached identifier, with its profile followed to the live one.
        func entry(_ key: IdentityKey) -> Entry? {
            guard var entry = identities[key] else { return nil }
            while let next = mergedInto[entry.profile] { entry.profile = next }
            return entry
        }
    }

    /// The most identifiers (and merged-away profiles) kept over all tenants.
    let capacity: Int
    private let lock = NSLock()
    private var tenants: [Int64: TenantState] = [:]
    /// When each tenant's cache was last put back (a counter), for dropping the least recent.
    private var lastUsed: [Int64: UInt64] = [:]
    private var clock: UInt64 = 0
    /// The size of every state in `tenants`.
    private var held = 0
    /// When each tenant's identities were last loaded whole.
    private var fullLoads: [Int64: ContinuousClock.Instant] = [:]

    /// Whether to load the tenant's identities whole now: at most once a minute, so that two
    /// processes taking turns at a tenant do not reload it on every batch.
    func mayLoadWhole(tenant: Int64) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if let last = fullLoads[tenant], now - last < .seconds(60) { return false }
            fullLoads[tenant] = now
            return true
        }
    }

    init(capacity: Int = IdentityCache.defaultCapacity) { self.capacity = max(0, capacity) }

    /// Identifiers held now, over all tenants.
    var entries: Int { lock.withLock { held } }

    static func size(_ state: TenantState) -> Int { state.identities.count + state.mergedInto.count + state.counts.count }

    /// How many more entries fit under the bound now.
    var room: Int { lock.withLock { max(0, capacity - held) } }

    /// Takes the tenant's cache out (so that updating it copies nothing) if it is current for
    /// `epoch`, the value the transaction found before advancing it; an empty one otherwise.
    func take(tenant: Int64, epoch: Int64) -> TenantState {
        lock.withLock {
            guard let state = tenants.removeValue(forKey: tenant) else { return TenantState(epoch: epoch) }
            held -= Self.size(state)
            lastUsed[tenant] = nil
            return state.epoch == epoch ? state : TenantState(epoch: epoch)
        }
    }

    /// Puts back the state a committed transaction left, unless a later one is there already.
    func put(_ state: TenantState, tenant: Int64) {
        lock.withLock {
            if let existing = tenants[tenant] {
                if existing.epoch >= state.epoch { return }
                held -= Self.size(existing)
            }
            // A tenant larger than the whole bound keeps only its epoch.
            let kept = Self.size(state) > capacity ? TenantState(epoch: state.epoch) : state
            tenants[tenant] = kept
            held += Self.size(kept)
            clock += 1
            lastUsed[tenant] = clock
            while held > capacity, let oldest = lastUsed.filter({ $0.key != tenant }).min(by: { $0.value < $1.value })?.key {
                if let dropped = tenants.removeValue(forKey: oldest) { held -= Self.size(dropped) }
                lastUsed[oldest] = nil
            }
        }
    }
}

/// Catalogue entries (kind, name, type) known to be recorded, per tenant: recording them is
/// idempotent, so a stale entry can only mean one redundant insert, never a missing one.
final class CatalogueCache: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [Int64: Set<CatalogueEntry>] = [:]

    /// The entries of `entries` not known to be recorded.
    func unknown(_ entries: Set<CatalogueEntry>, tenant: Int64) -> Set<CatalogueEntry> {
        lock.withLock { entries.subtracting(known[tenant] ?? []) }
    }

    func remember(_ entries: Set<CatalogueEntry>, tenant: Int64) {
        lock.withLock {
            guard (known[tenant]?.count ?? 0) < 100_000 else { return }
            known[tenant, default: []].formUnion(entries)
        }
    }
}
