-- Tier decisions and the indicators they are scored on (issue 3: policy packs, scale tier).
ALTER TABLE communities
    ADD COLUMN floating_population integer NOT NULL DEFAULT 0,
    ADD COLUMN employed_population  integer NOT NULL DEFAULT 0,
    ADD COLUMN business_entities    integer NOT NULL DEFAULT 0,
    ADD COLUMN on_site_share        numeric NOT NULL DEFAULT 0,
    ADD COLUMN region               text,
    ADD COLUMN tier                 text,
    ADD COLUMN tier_score           numeric,
    ADD COLUMN policy_version       text;
