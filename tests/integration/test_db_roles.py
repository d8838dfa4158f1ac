"""The database itself holds the service to its log: least privilege, not convention.

Guards: every service connected as the PostgreSQL superuser (and in deploy/k8s as the owner of
its tables), so it could `ALTER TABLE events DISABLE TRIGGER` and rewrite history. Now the
service's role may only SELECT and INSERT on `events`; the owner role runs the migrations.
The rest of the suite runs as the service role too (tests/conftest.py: new_database).
"""

from __future__ import annotations

import asyncpg
import pytest

from services.topology import SERVICES
from shared.db import role_of
from shared.errors import StreamPosition
from shared.eventstore import EventStore, NewEvent
from tests.conftest import Stack, new_database, owner_url, superuser_url

REFUSED = [
    "UPDATE events SET payload = '{}'",
    "DELETE FROM events",
    "TRUNCATE events",
    "ALTER TABLE events DISABLE TRIGGER events_append_only_rows",
    "ALTER TABLE events DISABLE TRIGGER ALL",
    "DROP TRIGGER events_append_only_rows ON events",
    "DROP TABLE events",
    "SET session_replication_role = replica",
    "CREATE TABLE shadow_events (LIKE events)",
    "INSERT INTO schema_migrations (name) VALUES ('forged')",
]


async def test_the_service_connects_as_its_own_role_which_owns_nothing(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    assert role_of(registry_db) == SERVICES["registry"].service_role
    assert await pool.fetchval("SELECT current_user") == "wuding_registry"
    assert not await pool.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    owned = await pool.fetchval(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
        " WHERE rolname = current_user)"
    )
    assert owned == 0
    owner = await pool.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'events'")
    assert owner == SERVICES["registry"].owner_role


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_service_role_cannot_change_or_unprotect_its_log(
    pool: asyncpg.Pool, statement: str
) -> None:
    store = EventStore(pool)
    [appended] = await store.append("s-roles", StreamPosition(), [NewEvent("T", 1, {"n": 1})])
    # Refused by the grants, not only by the triggers (which say "append-only").
    with pytest.raises(
        asyncpg.InsufficientPrivilegeError, match=r"permission denied|must be owner"
    ):
        await pool.execute(statement)
    [again] = await store.read_stream("s-roles")  # it can still append and read
    assert again.hash == appended.hash
    assert await pool.fetchval("SELECT count(*) FROM events") == 1


async def test_tables_of_later_migrations_are_granted_and_append_only_ones_stay_so(
    stack: Stack, registry_db: str, pool: asyncpg.Pool
) -> None:
    """Default privileges: a table the owner creates later is the service's to use, while a
    table with refusing triggers (like `events`) is only readable and appendable."""
    conn = await asyncpg.connect(owner_url(stack, registry_db, "registry"))
    try:
        await conn.execute("CREATE TABLE later_read_model (id int PRIMARY KEY)")
    finally:
        await conn.close()
    await pool.execute("INSERT INTO later_read_model VALUES (1)")
    await pool.execute("TRUNCATE later_read_model")  # a projection rebuild
    admin = await asyncpg.connect(superuser_url(stack, registry_db))
    try:
        granted = await admin.fetch(
            "SELECT privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = 'wuding_registry' AND table_name = 'events' ORDER BY 1"
        )
    finally:
        await admin.close()
    assert [r[0] for r in granted] == ["INSERT", "SELECT"]


async def test_the_gateway_role_may_only_append_to_its_command_audit(stack: Stack) -> None:
    url = await new_database(stack, "gateway")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT current_user") == "wuding_gateway"
        await conn.execute(
            "INSERT INTO command_audit (client_id, client_kind, method, path, status)"
            " VALUES ('c', 'district', 'POST', '/v1/x', 201)"
        )
        for statement in ("UPDATE command_audit SET status = 200", "TRUNCATE command_audit"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await conn.execute(statement)
        await conn.execute("DELETE FROM idempotency_keys")  # the sweep may delete these
    finally:
        await conn.close()
