"""Issue 8 §6: the operator's refusals are one line and a non-zero exit, never a traceback;
`wuding policy calibrate --out` writes where it says or refuses before doing anything."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.registry.community.commands import RegisterCommunity
from services.registry.community.events import Indicators
from services.registry.community.projections import CommunitiesProjection
from services.registry.policy.packs import PolicyBook, packs
from services.registry.runtime import registry_catalog, registry_commands
from services.topology import SERVICES, prepare_database
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline
from shared.projections import Projector
from shared.stack.embedded import free_port
from tests.conftest import ROLE_PASSWORDS, Stack


async def wuding(registry_db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, "WUDING_DATABASE_URL": registry_db}, capture_output=True, text=True,
    )  # fmt: skip


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, one line on stderr naming `words`, no traceback."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done
    for word in words:
        assert word in done.stderr, done.stderr


async def test_policy_refusals_are_one_line_and_exit_2(
    pool: asyncpg.Pool, registry_db: str
) -> None:
    """Guards: `wuding policy reevaluate` before publishing printed PackNotPublished's traceback
    on main; an unknown region printed NoRegion's."""
    ningbo = next(p for p in packs() if p.region == "ningbo")
    handlers = registry_commands(
        CommandPipeline(EventStore(pool), registry_catalog()), PolicyBook([ningbo])
    )
    registration = RegisterCommunity(
        "测试社区", "330211004001", "urban", "老城区社区",
        Indicators(households=2000, residents=6000, area_km2=Decimal(1)),
    )  # fmt: skip
    await handlers.communities.register_community(
        registration, CommandContext(actor_id="t", actor_kind="t")
    )

    refused(
        await wuding(registry_db, "policy", "reevaluate", "--region", "ningbo"),
        "ningbo@2023.1 is in force but was not published",
        "wuding policy publish",
    )
    refused(await wuding(registry_db, "policy", "publish", "--region", "nowhere"), "nowhere")
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_id LIKE 'policy-%'") == 0


async def test_calibrate_writes_where_it_says_or_refuses_first(
    pool: asyncpg.Pool, registry_db: str, tmp_path: Path
) -> None:
    """Guards: on main, `calibrate --out` into a folder that does not exist computed the
    proposal and then died with FileNotFoundError's traceback (the documented example's
    `policies/` folder does not exist at the repository root). Now the path is checked first:
    a missing folder or an existing file is a one-line refusal, and a good path gets the file."""
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    for village in range(1, 11):
        registration = RegisterCommunity(
            f"测试{village}社区", f"330211005{village:03d}", "urban", "老城区社区",
            Indicators(households=300 * village, residents=800 * village, area_km2=Decimal(1)),
        )  # fmt: skip
        await handlers.communities.register_community(
            registration, CommandContext(actor_id="t", actor_kind="t")
        )
    await Projector(pool, registry_catalog(), CommunitiesProjection()).run_once()
    calibrate = ("policy", "calibrate", "--region", "ningbo", "--target", "50,40,10",
                 "--version", "2026.2", "--effective-from", "2026-12-01")  # fmt: skip

    missing = tmp_path / "no-such-folder" / "ningbo-2026.2.json"
    refused(await wuding(registry_db, *calibrate, "--out", str(missing)), "does not exist")
    assert not missing.parent.exists()

    out = tmp_path / "ningbo-2026.2.json"
    done = await wuding(registry_db, *calibrate, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"proposed pack written to {out}" in done.stdout and '"2026.2"' in out.read_text("utf-8")
    refused(await wuding(registry_db, *calibrate, "--out", str(out)), "exists")

    bad = ("policy", "calibrate", "--region", "ningbo", "--version", "2026.2")
    done = await wuding(registry_db, *bad, "--effective-from", "2026-13-01")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr and "Traceback" not in done.stderr
    done = await wuding(registry_db, *bad, "--effective-from", "2026-12-01", "--target", "1,x")
    assert done.returncode == 2 and "three percentages" in done.stderr


async def test_a_database_that_cannot_be_reached_is_one_line() -> None:
    """Guards: with PostgreSQL down, `wuding policy publish` printed a connection traceback."""
    closed = f"postgresql://wuding@127.0.0.1:{free_port()}/wuding_registry"
    refused(await wuding(closed, "policy", "publish", "--region", "ningbo"), "Error")


async def test_without_a_database_url_the_cli_uses_the_embedded_port_or_says_what_to_set(
    stack: Stack,
) -> None:
    """Guards issue 9 point 7: without WUDING_DATABASE_URL the CLI derived a URL on port 54329
    whatever WUDING_PG_PORT said. Now it connects to the embedded stack's PostgreSQL on
    WUDING_PG_PORT (here the session's server, with a `wuding_registry` database as `wuding
    run` makes it), and where nothing listens it says in one line what to set; a setting it
    cannot use is one line too."""
    if stack.broker is None:
        pytest.skip("needs the embedded stack: its trust authentication is what `wuding run` has")
    await prepare_database(stack.admin_url, SERVICES["registry"], "wuding_registry", ROLE_PASSWORDS)
    env = {k: v for k, v in os.environ.items() if k != "WUDING_DATABASE_URL"}

    async def cli(*args: str, **more: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "services.cli", *args],
            env={**env, **more}, capture_output=True, text=True,
        )  # fmt: skip

    port = str(urlsplit(stack.admin_url).port)
    done = await cli("projections", "status", "--service", "registry", WUDING_PG_PORT=port)
    assert done.returncode == 0 and not done.stderr, done.stderr  # read models, none parked
    closed = str(free_port())
    done = await cli("projections", "status", "--service", "registry", WUDING_PG_PORT=closed)
    refused(done, f"127.0.0.1:{closed}", "WUDING_PG_PORT", "set WUDING_DATABASE_URL")
    refused(await cli("audit", "verify", "--service", "registry", WUDING_PG_PORT="abc"), "pg_port")
