-- Readers page through `events` in (transaction_id, position) order. With the default
-- random_page_cost (4, tuned for spinning disks) the planner prefers a bitmap scan and an
-- on-disk sort of every remaining row over walking events_commit_order, which made reading
-- the log ~5x slower (docs/performance.md). Service databases live on SSDs.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database());
END
$$;
