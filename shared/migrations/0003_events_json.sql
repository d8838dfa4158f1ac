-- Payload and metadata as `json`, not `jsonb`: the log keeps the exact canonical JSON text
-- each event's hash was computed over (jsonb re-formats it), and reading the text back costs
-- a copy instead of a conversion: decoded read-all went from 0.315 to 0.42 of a raw SELECT
-- (median ratios, docs/performance.md). Nothing queries inside these documents in SQL (read
-- models are tables of their own). Rows written before keep jsonb's formatting of the same
-- values; the verifier re-canonicalises them.
-- A table rewrite, not an UPDATE: the append-only triggers do not fire.
ALTER TABLE events
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN metadata TYPE json USING metadata::json;
