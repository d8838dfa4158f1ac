-- Each community's list of matters (事项清单) as matters last recorded it. Rebuildable from
-- the log (the log alone answers time travel: GET .../matters?as_of=).
CREATE TABLE matters_lists (
    code            text COLLATE "C" PRIMARY KEY,
    division_code   text COLLATE "C" NOT NULL,
    community_type  text        NOT NULL,
    opened_at       timestamptz NOT NULL,
    ended_at        timestamptz,
    items           integer     NOT NULL,
    policy_pack     text,
    version         integer     NOT NULL
);
CREATE INDEX matters_lists_division ON matters_lists (division_code);

-- Every task pushed, accepted or refused (清单之外无事项): refused pushes per department.
CREATE TABLE matters_tasks (
    task_id         text COLLATE "C" PRIMARY KEY,
    code            text COLLATE "C" NOT NULL,
    division_code   text COLLATE "C" NOT NULL,
    matter_id       text        NOT NULL,
    department      text        NOT NULL,
    accepted        boolean     NOT NULL,
    runway          text,
    pushed_at       timestamptz NOT NULL
);
CREATE INDEX matters_tasks_division ON matters_tasks (division_code, department);
