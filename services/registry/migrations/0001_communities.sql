-- Read model: communities as the registry's events left them. Rebuildable from the log.
CREATE TABLE communities (
    -- COLLATE "C": byte order, so a division-code prefix is a range scan of the primary key
    -- (a community code starts with its 12-digit division code).
    code                     text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[0-9]{17}$'),
    name                     text     NOT NULL,
    division_code            text     NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
    major_type               text     NOT NULL,
    subtype                  text     NOT NULL,
    has_residents_committee  boolean  NOT NULL,
    service_centre_name      text,
    households               integer  NOT NULL,
    residents                integer  NOT NULL,
    area_km2                 numeric  NOT NULL,
    version                  integer  NOT NULL,
    registered_at            timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
