-- Indexes for the questions the summaries answer (issue 18).
--
-- The summaries by event name: nearly every such question reads the rows of one or two names
-- (`Order Completed`, the value flows' events) and groups them by profile. This index holds
-- those rows' figures in (type, name, profile) order, so such a read is an index-only scan of
-- just those rows, already grouped, instead of a scan of every summary row. (`source` and
-- `first_message`, read only by the value chain over all rows, are left out.)
CREATE INDEX event_summaries_by_name ON event_summaries (type, name, profile_id)
    INCLUDE (events, first_ts, last_ts, revenue, orders, first_order, last_order, cost);

-- The merged profiles' ids: "live" is "not among the merged", tested by the id alone, and the
-- live profiles are counted as all less the merged, without reading the profiles' rows.
CREATE INDEX profiles_merged_ids ON profiles (id) WHERE merged_into IS NOT NULL;
