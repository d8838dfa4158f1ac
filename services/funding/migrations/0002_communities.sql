-- The communities funding follows, for a district's or the city's roll-over
-- (services/funding/standards/projections.py). Rebuildable from the log.
CREATE TABLE funding_communities (
    code           text COLLATE "C" PRIMARY KEY,
    division_code  text COLLATE "C" NOT NULL,
    major_type     text NOT NULL,
    status         text NOT NULL
);
CREATE INDEX funding_communities_division ON funding_communities (division_code);
