"""Connection pools and migrations. Each service owns a database; the kernel's tables come first."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger("wuding.db")

KERNEL_MIGRATIONS = Path(str(resources.files("shared") / "migrations"))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without the default reset query (one round trip per acquire saved).

    asyncpg still rolls back a transaction left open. Our code leaves no other session state:
    no LISTEN, no SET without LOCAL, and the relay unlocks its advisory lock itself.
    """


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, reset=_keep_session)
    assert pool is not None
    return pool


def migration_files(service_dir: Path | None, *, with_kernel: bool = True) -> list[Path]:
    """Kernel migrations, then the service's, each folder in name order."""
    files: list[Path] = []
    if with_kernel:
        files += sorted(KERNEL_MIGRATIONS.glob("*.sql"))
    if service_dir is not None and service_dir.exists():
        files += sorted(service_dir.glob("*.sql"))
    return files


async def migrate(dsn: str, files: list[Path]) -> list[str]:
    """Apply the files not yet applied, each in its own transaction; return their names."""
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
    finally:
        await conn.close()
    return applied


async def ensure_database(admin_dsn: str, name: str) -> bool:
    """Create database `name` on the server if missing; return whether it was created."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        return True
    finally:
        await conn.close()
