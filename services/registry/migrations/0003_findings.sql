-- Size findings per community and rule: open until resolved. Rebuildable from the log.
CREATE TABLE size_findings (
    code            text COLLATE "C" NOT NULL,
    rule            text        NOT NULL,
    indicator       text        NOT NULL,
    value           numeric     NOT NULL,
    limit_text      text        NOT NULL,
    source          text        NOT NULL,
    policy_region   text        NOT NULL,
    policy_version  text        NOT NULL,
    raised_at       timestamptz NOT NULL,
    resolved_at     timestamptz,
    PRIMARY KEY (code, rule, raised_at)
);
CREATE INDEX size_findings_open ON size_findings (code) WHERE resolved_at IS NULL;
