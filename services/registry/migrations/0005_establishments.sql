-- Industrial establishment proposals and community status (issue 3: 定类型编码, seed 000 §二(一)4).
ALTER TABLE communities
    ADD COLUMN status        text NOT NULL DEFAULT 'active',
    ADD COLUMN establishment text;

-- Where each proposal stands. Rebuildable from the log.
CREATE TABLE establishments (
    proposal_id         text COLLATE "C" PRIMARY KEY,
    division_code       text COLLATE "C" NOT NULL,
    name                text        NOT NULL,
    subtype             text        NOT NULL,
    status              text        NOT NULL,
    next_step           text,
    code                text,
    certificate_number  text,
    steps               jsonb       NOT NULL,
    version             integer     NOT NULL,
    proposed_at         timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX establishments_by_status ON establishments (status, proposal_id);
