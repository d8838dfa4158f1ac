-- Every community's budget lines per year, for the district and city-wide report
-- (services/funding/standards/projections.py). Rebuildable from the log.
CREATE TABLE funding_lines (
    code           text COLLATE "C" NOT NULL,
    division_code  text COLLATE "C" NOT NULL,
    year           integer NOT NULL,
    line           text    NOT NULL,
    name           text    NOT NULL,
    amount_fen     bigint  NOT NULL,
    PRIMARY KEY (code, year, line)
);
CREATE INDEX funding_lines_division ON funding_lines (year, division_code);
