-- Grids, micro-grids, grid size findings, occupancy (issue 3: 定组织架构). Rebuildable from the log.
ALTER TABLE communities ADD COLUMN occupancy_share numeric NOT NULL DEFAULT 0;

-- A finding is per rule and subject: '' for the community itself, else a grid or micro-grid.
ALTER TABLE size_findings ADD COLUMN subject text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE size_findings DROP CONSTRAINT size_findings_pkey;
ALTER TABLE size_findings ADD PRIMARY KEY (code, subject, rule, raised_at);

CREATE TABLE grids (
    grid               text COLLATE "C" PRIMARY KEY CHECK (grid ~ '^[0-9]{17}$'),
    code               text COLLATE "C" NOT NULL,
    name               text     NOT NULL,
    kind               text     NOT NULL,
    households         integer  NOT NULL,
    population         integer  NOT NULL,
    area_km2           numeric  NOT NULL,
    business_entities  integer  NOT NULL,
    active             boolean  NOT NULL DEFAULT true,
    closed_by          text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX grids_of_community ON grids (code, grid);

CREATE TABLE micro_grids (
    id                 text COLLATE "C" PRIMARY KEY,
    code               text COLLATE "C" NOT NULL,
    grid               text COLLATE "C" NOT NULL,
    name               text     NOT NULL,
    kind               text     NOT NULL,
    households         integer  NOT NULL,
    business_entities  integer  NOT NULL
);
CREATE INDEX micro_grids_of_grid ON micro_grids (grid, id);
