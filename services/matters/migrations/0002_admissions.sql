-- Where each admission case (事项准入) stands, for the list by state. Rebuildable from the log
-- (one case is read from its stream).
CREATE TABLE matters_admissions (
    admission_id    text COLLATE "C" PRIMARY KEY,
    division_code   text COLLATE "C" NOT NULL,
    applicant       text        NOT NULL,
    status          text        NOT NULL,
    items           integer     NOT NULL,
    runways         text[]      NOT NULL,
    applied_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         integer     NOT NULL
);
CREATE INDEX matters_admissions_status ON matters_admissions (status, admission_id);

-- Every admitted matter on every list it entered, and when it left (准入退出): the burden
-- report's admitted and cleared counts.
CREATE TABLE matters_entries (
    code            text COLLATE "C" NOT NULL,
    matter_id       text COLLATE "C" NOT NULL,
    division_code   text COLLATE "C" NOT NULL,
    department      text        NOT NULL,
    runway          text        NOT NULL,
    since           timestamptz NOT NULL,
    until           timestamptz,
    PRIMARY KEY (code, matter_id)
);
CREATE INDEX matters_entries_division ON matters_entries (division_code);
