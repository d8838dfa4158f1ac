-- Who held each position from which day, effective-dated (PositionFilled: a worker,
-- PositionVacated: none), as the position's fold keeps them (workforce/decide.py,
-- Position.holder_on): a district's "filled" counts the holders on the day asked, not an
-- assignment dated next month (staffing_positions.worker_id is the latest decision, whatever
-- its date). Rebuildable from the log: this migration empties the workforce read models and
-- resets their checkpoint, so the projector rebuilds them from the first event on start.
CREATE TABLE staffing_holders (
    position_id     text COLLATE "C" NOT NULL,
    version         integer     NOT NULL,  -- the community stream's: ties on a day by record
    since           date        NOT NULL,
    worker_id       text COLLATE "C",      -- null: vacated
    PRIMARY KEY (position_id, version)
);
CREATE INDEX staffing_holders_on ON staffing_holders (position_id, since);

TRUNCATE staffing_positions, staffing_workers;
DELETE FROM checkpoints WHERE name = 'staffing_workforce';
