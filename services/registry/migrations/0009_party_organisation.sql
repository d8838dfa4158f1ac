-- A community's party organisation (党委 / 总支 / 支部) and its party members (seed 000 §二(五)1).
ALTER TABLE communities ADD COLUMN party_organisation text;
ALTER TABLE communities ADD COLUMN party_members integer NOT NULL DEFAULT 0;
