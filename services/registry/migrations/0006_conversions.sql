-- 撤村建居 (seed 002 §三): lineage between a village community and its urban successor.
ALTER TABLE communities
    ADD COLUMN predecessor    text,
    ADD COLUMN successor      text,
    ADD COLUMN committee_name text;

-- Where each conversion proposal stands. Rebuildable from the log.
CREATE TABLE conversions (
    proposal_id     text COLLATE "C" PRIMARY KEY,
    code            text COLLATE "C" NOT NULL,
    village_name    text        NOT NULL,
    successor_name  text        NOT NULL,
    status          text        NOT NULL,
    next_step       text,
    successor_code  text,
    steps           jsonb       NOT NULL,
    version         integer     NOT NULL,
    proposed_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
