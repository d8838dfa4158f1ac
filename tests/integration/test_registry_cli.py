"""The registry's `wuding` commands come from the registry, through the topology (issue 9,
point 7), and find the read model they need by name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import services.registry.runtime as registry_runtime
from services import cli
from services.registry import cli as registry_cli
from services.registry.community.commands import RegisterCommunity
from services.registry.community.events import Indicators
from services.registry.runtime import registry_catalog, registry_commands
from services.topology import SERVICES
from shared.commands import CommandContext
from shared.eventstore import EventStore
from shared.pipeline import CommandPipeline

ROOT = Path(__file__).resolve().parents[2]


def test_the_shared_cli_has_no_registry_commands_the_topology_adds_them() -> None:
    """Guards: policy publish/reevaluate/calibrate and seed were written into the shared
    services/cli.py, which imported registry modules; now the registry's topology entry adds
    them and the shared CLI names no service."""
    assert "services.registry" not in (ROOT / "services/cli.py").read_text("utf-8")
    assert SERVICES["registry"].cli == "services.registry.cli:add_commands"
    parser = cli._parser()
    for argv in (["policy", "publish", "--region", "ningbo"], ["seed", "ningbo"]):
        args = parser.parse_args(argv)
        assert args.run.__module__ == registry_cli.__name__, argv
        assert isinstance(args.refusals, tuple)


async def test_reevaluate_brings_the_communities_read_model_current_by_name(
    pool: asyncpg.Pool,
    registry_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Guards: `wuding policy reevaluate` caught up `runtime.projectors[0]`, whichever read
    model came first, before listing the region's communities from the communities table.
    With the projectors in another order it now still re-evaluates every community."""
    handlers = registry_commands(CommandPipeline(EventStore(pool), registry_catalog()))
    for village in (1, 2):
        registration = RegisterCommunity(
            f"测试{village}社区", f"330211006{village:03d}", "urban", "老城区社区",
            Indicators(households=2000, residents=6000, area_km2=Decimal(1)),
        )  # fmt: skip
        await handlers.communities.register_community(registration, CommandContext("t", "t"))
    monkeypatch.setenv("WUDING_DATABASE_URL", registry_db)
    bootstrap = registry_runtime.bootstrap

    async def reordered(settings: Any) -> registry_runtime.Registry:
        runtime = await bootstrap(settings)
        runtime.projectors.reverse()  # communities is no longer first
        return runtime

    monkeypatch.setattr(registry_runtime, "bootstrap", reordered)
    assert await registry_cli._policy("publish", "ningbo") == 0
    assert await registry_cli._policy("reevaluate", "ningbo") == 0
    assert "re-evaluated 2 communities of ningbo" in capsys.readouterr().out
