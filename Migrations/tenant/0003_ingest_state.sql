-- A counter that every writer of identities advances in its transaction. A process keeps
-- identities it has seen in memory only while the counter is where it left it, so a
-- cache can never outlive a change made by another process (an import, an unmerge).
CREATE TABLE ingest_state (
    id     integer PRIMARY KEY CHECK (id = 1),
    epoch  bigint NOT NULL
);
INSERT INTO ingest_state (id, epoch) VALUES (1, 0);

-- Room on each page for updated rows (last_seen, traits), so updates stay on the page and
-- leave the indexes alone.
ALTER TABLE identities SET (fillfactor = 80);
ALTER TABLE profiles SET (fillfactor = 80);
