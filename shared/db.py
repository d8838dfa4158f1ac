"""Connection pools, migrations and database roles. Each service owns a database.

Two roles per service (least privilege): the owner role runs the migrations and owns every
table; the service role, which the running service connects as, may read and write its read
models and kernel tables but only SELECT and INSERT on append-only tables (`events`, and any
table whose triggers call a `wuding_refuse_*` function). Not being the owner, it cannot
ALTER TABLE ... DISABLE TRIGGER, and not being a superuser it cannot switch triggers off with
`session_replication_role`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg
import structlog

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


async def migrate(dsn: str, files: list[Path], *, service_role: str | None = None) -> list[str]:
    """Apply the files not yet applied, each in its own transaction; return their names.

    With `service_role`, `dsn` is the owner's: the service role is then granted what it may do
    (again on every run, so tables of later migrations are covered even without the defaults).
    """
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext('wuding:migrations'))")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in files:
            name = f"{path.parent.parent.name}/{path.name}"
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
            log.info("db.migrated", migration=name)
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
