-- Position control and the workforce, as read models (rebuildable from the log). No personal
-- field is stored here: names and ID numbers exist only sealed in the events
-- (shared/personal_data.py), opened on a read that states its purpose.
CREATE TABLE staffing_positions (
    position_id     text COLLATE "C" PRIMARY KEY,
    code            text COLLATE "C" NOT NULL,
    division_code   text COLLATE "C" NOT NULL,
    post            text        NOT NULL,
    effective_from  date        NOT NULL,
    abolished_from  date,
    worker_id       text COLLATE "C",
    updated_at      timestamptz NOT NULL
);
CREATE INDEX staffing_positions_code ON staffing_positions (code);
CREATE INDEX staffing_positions_division ON staffing_positions (division_code);

CREATE TABLE staffing_workers (
    worker_id       text COLLATE "C" PRIMARY KEY,
    division_code   text COLLATE "C" NOT NULL,
    status          text        NOT NULL,
    position_id     text COLLATE "C",
    code            text COLLATE "C",
    recruited_on    date        NOT NULL,
    erased          boolean     NOT NULL DEFAULT false,
    version         integer     NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX staffing_workers_division ON staffing_workers (division_code, status);
