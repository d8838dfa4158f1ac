-- The districts whose figures may have moved since their floors were last checked
-- (services/staffing/district/checks.py): a read model of staffing's own log, kept in the same
-- transaction as the read models the check reads, so a row names an event they have applied.
-- The checker takes each row, appends what changed on `district-<prefix>` and deletes the row
-- (unless a later event marked the district again meanwhile).
CREATE TABLE staffing_district_checks (
    prefix          text COLLATE "C" PRIMARY KEY,   -- the district's 6 digits
    caused_by       text        NOT NULL,           -- the latest event that moved its figures,
                                                    -- or the day of a scheduled re-check
    log_position    text        NOT NULL,           -- that event's checkpoint token
    marked_at       timestamptz NOT NULL DEFAULT now()
);
