-- Lines with disbursement deadlines (Xixian, seed 002 §八(三)) and the overdue flags raised on
-- them (services/funding/ledger/projections.py). Rebuildable from the log.
CREATE TABLE funding_deadlines (
    code           text COLLATE "C" NOT NULL,
    division_code  text COLLATE "C" NOT NULL,
    year           integer NOT NULL,
    line           text    NOT NULL,
    payer          text    NOT NULL,
    due            date    NOT NULL,
    PRIMARY KEY (code, year, line, payer)
);
CREATE INDEX funding_deadlines_due ON funding_deadlines (due);

CREATE TABLE funding_overdue (
    code           text COLLATE "C" NOT NULL,
    division_code  text COLLATE "C" NOT NULL,
    year           integer NOT NULL,
    line           text    NOT NULL,
    payer          text    NOT NULL,
    deadline       date    NOT NULL,
    part_fen       bigint  NOT NULL,
    disbursed_fen  bigint  NOT NULL,
    flagged_at     timestamptz NOT NULL,
    cleared_at     timestamptz,
    PRIMARY KEY (code, year, line, payer, flagged_at)
);
CREATE INDEX funding_overdue_division ON funding_overdue (division_code, deadline);
