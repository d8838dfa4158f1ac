"""Connection pools, migrations and database roles. Each service owns a database.

Two roles per service (least privilege): the owner role runs the migrations and owns every
table; the service role, which the running service connects as, may read and write its read
models and kernel tables but only SELECT and INSERT on append-only tables (`events`, and any
table whose triggers call a `wuding_refuse_*` function). Not being the owner, it cannot
ALTER TABLE ... DISABLE TRIGGER, and not being a superuser it cannot switch triggers off with
`session_replication_role`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg
import structlog

from shared.errors import WudingError

log = structlog.get_logger("wuding.db")

KERNEL_MIGRATIONS = Path(str(resources.files("shared") / "migrations"))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without the default reset query (one round trip per acquire saved).

    asyncpg still rolls back a transaction left open. Our code leaves no other session state:
    no LISTEN, no SET without LOCAL, and the relay unlocks its advisory lock itself.
    """


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, least_privilege: bool = False
) -> asyncpg.Pool:
    """A service's pool. A role that could rewrite its log is logged, or with `least_privilege`
    (production) refused: the service must connect as its own role."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, reset=_keep_session)
    assert pool is not None
    async with pool.acquire() as conn:
        excess = await excess_privileges(conn)
    if excess and least_privilege:
        await pool.close()
        raise PermissionError(
            f"the database role {role_of(dsn)!r} {'; '.join(excess)}: connect as the service's"
            " own role (shared/db.py, deploy/k8s/README.md)"
        )
    if excess:
        log.warning("db.excess_privileges", role=role_of(dsn), excess=excess)
    return pool


async def excess_privileges(conn: asyncpg.Connection) -> list[str]:
    """What the connected role may do beyond a service role's grants (empty: nothing)."""
    excess = []
    if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        excess.append("is a superuser")
    owned = await conn.fetch(
        "SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
        " WHERE rolname = current_user) AND relnamespace = 'public'::regnamespace"
        " AND relkind IN ('r', 'p') ORDER BY relname"
    )
    if owned:
        excess.append(f"owns {', '.join(r[0] for r in owned)}")
    for row in await conn.fetch(_APPEND_ONLY_TABLES):
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            if await conn.fetchval("SELECT has_table_privilege($1, $2)", row[0], privilege):
                excess.append(f"may {privilege} {row[0]}")
    return excess


def migration_files(service_dir: Path | None, *, with_kernel: bool = True) -> list[Path]:
    """Kernel migrations, then the service's, each folder in name order."""
    files: list[Path] = []
    if with_kernel:
        files += sorted(KERNEL_MIGRATIONS.glob("*.sql"))
    if service_dir is not None and service_dir.exists():
        files += sorted(service_dir.glob("*.sql"))
    return files


class MigrationEdited(WudingError):
    """A migration file differs from the one that ran: a change to a schema that exists is a
    new migration, never an edit (the edited file would silently not run again)."""


@dataclass(frozen=True)
class MigrationStatus:
    name: str  # <folder>/<file>, as recorded in schema_migrations
    applied_at: datetime | None  # None: pending
    state: str  # applied | pending | edited (the file changed since) | unrecorded (no checksum)


def migration_name(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());"
    # The file's SHA-256 when it ran; NULL for those applied before checksums were kept.
    " ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 text"
)


async def _statuses(conn: asyncpg.Connection, files: list[Path]) -> list[MigrationStatus]:
    ran = {r["name"]: r for r in await conn.fetch(
        "SELECT name, applied_at, sha256 FROM schema_migrations"
    )}  # fmt: skip
    statuses = []
    for path in files:
        row = ran.get(migration_name(path))
        if row is None:
            state = "pending"
        elif row["sha256"] is None:
            state = "unrecorded"
        else:
            state = "applied" if row["sha256"] == checksum(path) else "edited"
        statuses.append(
            MigrationStatus(migration_name(path), row["applied_at"] if row else None, state)
        )
    return statuses


async def migration_status(dsn: str, files: list[Path]) -> list[MigrationStatus]:
    """Which migrations ran (and when), which are pending, and whether each file is still the
    one that ran (`wuding migrate --status`). Changes nothing but creating the table."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(_MIGRATIONS_TABLE)
        return await _statuses(conn, files)
    finally:
        await conn.close()


async def migrate(dsn: str, files: list[Path], *, service_role: str | None = None) -> list[str]:
    """Apply the files not yet applied, each in its own transaction, recording its checksum;
    return their names. An applied file that was edited since is refused (MigrationEdited)
    before anything runs; one applied before checksums were kept gets its checksum recorded.

    With `service_role`, `dsn` is the owner's: the service role is then granted what it may do
    (again on every run, so tables of later migrations are covered even without the defaults).
    """
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext('wuding:migrations'))")
        await conn.execute(_MIGRATIONS_TABLE)
        statuses = await _statuses(conn, files)
        if edited := [s.name for s in statuses if s.state == "edited"]:
            raise MigrationEdited(
                f"migrations edited after they ran: {', '.join(edited)}; restore them and put"
                " the change in a new migration"
            )
        for path, status in zip(files, statuses, strict=True):
            if status.state == "unrecorded":
                await conn.execute(
                    "UPDATE schema_migrations SET sha256 = $2 WHERE name = $1",
                    status.name, checksum(path),
                )  # fmt: skip
            if status.state != "pending":
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute(
                    "INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)",
                    status.name, checksum(path),
                )  # fmt: skip
            applied.append(status.name)
            log.info("db.migrated", migration=status.name)
        if service_role is not None:
            async with conn.transaction():
                await grant_service_role(conn, service_role)
    finally:
        await conn.close()
    return applied


async def ensure_database(admin_dsn: str, name: str, *, owner: str | None = None) -> bool:
    """Create database `name` on the server if missing; return whether it was created.

    With `owner`, that role owns it (and its `public` schema), so it can run the migrations.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            if owner is not None:
                await conn.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
            return False
        owned = f' OWNER "{owner}"' if owner else ""
        await conn.execute(f"CREATE DATABASE \"{name}\"{owned} ENCODING 'UTF8' TEMPLATE template0")
        return True
    finally:
        await conn.close()


async def hand_over(admin_dsn: str, owner: str) -> None:
    """Make `owner` own every table and function of the database `admin_dsn` names (ones made
    before there were roles: the embedded stack's older data directories)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        owner_oid = "(SELECT oid FROM pg_roles WHERE rolname = $1)"
        for row in await conn.fetch(
            "SELECT format('ALTER TABLE %I OWNER TO %I', relname, $1::text) FROM pg_class"
            f" WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
            f" AND relowner <> {owner_oid}"
            " UNION ALL SELECT format('ALTER FUNCTION %I(%s) OWNER TO %I', proname,"
            " oidvectortypes(proargtypes), $1::text) FROM pg_proc"
            f" WHERE pronamespace = 'public'::regnamespace AND proowner <> {owner_oid}",
            owner,
        ):
            await conn.execute(row[0])
    finally:
        await conn.close()


async def ensure_role(admin_dsn: str, name: str, password: str) -> None:
    """A login role that is no superuser and creates nothing; its password set to `password`."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
        verb = "ALTER" if exists else "CREATE"
        # Utility statements take no parameters: quote the password as a literal.
        literal = await conn.fetchval("SELECT quote_literal($1)", password)
        await conn.execute(
            f'{verb} ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
            f" NOBYPASSRLS PASSWORD {literal}"
        )
    finally:
        await conn.close()


# Tables whose triggers refuse changes (the event log, the gateway's command audit) are
# append-only for the service role too: it may read and append, nothing else.
_APPEND_ONLY_TABLES = """
SELECT DISTINCT c.relname FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
WHERE p.proname LIKE 'wuding\\_refuse\\_%' AND c.relnamespace = 'public'::regnamespace
"""


async def grant_service_role(conn: asyncpg.Connection, role: str) -> None:
    """As the owner: what the service role may do in this database, and nothing more."""
    database = await conn.fetchval("SELECT current_database()")
    quoted = f'"{role}"'
    for statement in (
        f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC',
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {quoted}',
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public"
        f" TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        # Tables a later migration creates (as this owner) are granted the same way.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM {quoted}",
    ):
        await conn.execute(statement)
    for row in await conn.fetch(_APPEND_ONLY_TABLES):
        await conn.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{row[0]}" FROM {quoted}')


def with_role(url: str, database: str, user: str, password: str) -> str:
    """`url` (any role's) pointing at `database` as `user` with `password`."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, parts.fragment))


def role_of(url: str) -> str | None:
    """The user name a database URL connects as."""
    user = urlsplit(url).username
    return unquote(user) if user else None
