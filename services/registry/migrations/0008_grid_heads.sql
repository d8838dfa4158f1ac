-- The last event of each community's stream the grids projection applied: a grid command's
-- answer compares it with the command's own version, reading both from this one projection
-- (the communities projection's version may be at another point when projectors commit apart).
CREATE TABLE grid_heads (
    code     text COLLATE "C" PRIMARY KEY,
    version  integer NOT NULL
);
INSERT INTO grid_heads (code, version) SELECT code, version FROM communities;
