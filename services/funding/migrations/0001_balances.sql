-- What has reached each stage of the commitment ledger, per community, year, line and payer
-- (services/funding/ledger/projections.py). Rebuildable from the log.
CREATE TABLE funding_balances (
    code             text COLLATE "C" NOT NULL,
    division_code    text COLLATE "C" NOT NULL,
    year             integer NOT NULL,
    line             text    NOT NULL,
    payer            text    NOT NULL,
    appropriated_fen bigint  NOT NULL DEFAULT 0,
    allocated_fen    bigint  NOT NULL DEFAULT 0,
    disbursed_fen    bigint  NOT NULL DEFAULT 0,
    spent_fen        bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (code, year, line, payer)
);
CREATE INDEX funding_balances_division ON funding_balances (division_code, year);

-- Each posting's kind, so a reversal knows which stage it takes back.
CREATE TABLE funding_postings (
    posting_id  text COLLATE "C" PRIMARY KEY,
    kind        text NOT NULL
);
