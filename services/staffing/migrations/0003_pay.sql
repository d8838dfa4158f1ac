-- The pay floor's input as a read model (rebuildable from the log): each worker's recorded
-- annual pay. The district income figures it is measured against are read from the
-- district's stream (one event per year).
CREATE TABLE staffing_pay (
    worker_id       text COLLATE "C" NOT NULL,
    year            integer     NOT NULL,
    division_code   text COLLATE "C" NOT NULL,
    annual_pay_fen  bigint      NOT NULL,
    PRIMARY KEY (worker_id, year)
);
CREATE INDEX staffing_pay_division ON staffing_pay (division_code);
