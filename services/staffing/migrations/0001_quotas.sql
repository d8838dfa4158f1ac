-- Each community's quota (员额) as staffing last decided it. Rebuildable from the log.
CREATE TABLE staffing_quotas (
    code            text COLLATE "C" PRIMARY KEY,
    division_code   text COLLATE "C" NOT NULL,
    major_type      text        NOT NULL,
    status          text        NOT NULL,
    residents       integer     NOT NULL,
    households      integer,
    tier            text,
    quota           integer,
    rule            text,
    source          text,
    inputs          jsonb       NOT NULL DEFAULT '{}',
    policy_pack     text,
    version         integer     NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX staffing_quotas_division ON staffing_quotas (division_code);
