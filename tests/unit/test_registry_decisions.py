"""Issue 9 §2: decisions are pure functions of command, state and pack, in one style, and every
command and event has a stable name. Run on plain objects: no store, no pipeline."""

from __future__ import annotations

import ast
import dataclasses
import importlib
from copy import deepcopy
from decimal import Decimal
from pathlib import Path

from services.registry.community import decide as community
from services.registry.community.aggregate import Community
from services.registry.community.commands import (
    CommitteeExists,
    EstablishResidentsCommittee,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import CommunityIndicatorsUpdated, Indicators
from services.registry.grids import decide as grids
from services.registry.grids.commands import CreateGrid, NewMicroGrid, ResizeGrid
from services.registry.grids.events import GridCreated
from services.registry.grids.model import GridFigures
from services.registry.policy.packs import pack_for
from services.registry.runtime import registry_catalog
from shared.pipeline import Refused

ROOT = Path(__file__).parents[2]
REGISTRY = ROOT / "services/registry"
PACK = pack_for("330211004001")
CODE = "33021100400110009"  # not checked here: decisions take an issued code


def registered(major_type: str = "urban", households: int = 1200) -> Community:
    subtype = {"urban": "老城区社区", "industrial": "工业社区"}[major_type]
    name = "勤勇社区" if major_type == "urban" else "澥浦工业社区"
    cmd = RegisterCommunity(
        name, "330211004001", major_type, subtype,
        Indicators(households=households, residents=3400, area_km2=Decimal("1.25")),
    )  # fmt: skip
    state = Community(CODE)
    for event in community.register(cmd, CODE, PACK):
        state.apply(event)
    return state


def test_registration_decides_the_tier_under_the_pack_it_is_given() -> None:
    cmd = RegisterCommunity(
        "勤勇社区", "330211004001", "urban", "老城区社区",
        Indicators(households=1200, residents=3400, area_km2=Decimal("1.25")),
    )  # fmt: skip
    registration, tier, *_ = community.register(cmd, CODE, PACK)
    assert registration.event_type == "CommunityRegistered"
    assert (tier.tier, tier.policy_version) == ("一般", PACK.version)  # type: ignore[attr-defined]
    assert tier.is_decision and not registration.is_decision


def test_an_update_records_a_tier_decision_only_when_the_tier_changes() -> None:
    state = registered()
    same = UpdateCommunityIndicators(
        CODE, None, Indicators(households=1300, residents=3400, area_km2=Decimal("1.25"))
    )
    assert [type(e) for e in community.update_indicators(same, state, PACK)] == [
        CommunityIndicatorsUpdated
    ]
    bigger = UpdateCommunityIndicators(
        CODE, None, Indicators(households=5000, residents=9000, area_km2=Decimal("2.5"))
    )
    types = [e.event_type for e in community.update_indicators(bigger, state, PACK)]
    assert types[:2] == ["CommunityIndicatorsUpdated", "CommunityTierAssigned"]


def test_a_refusal_is_returned_with_its_reasons_and_a_conflict_is_raised() -> None:
    industrial = registered("industrial")
    refused = community.establish_committee(
        EstablishResidentsCommittee(CODE, "勤勇社区居民委员会"), industrial, PACK
    )
    assert isinstance(refused, Refused) and refused.problems[0].field == "code"
    urban = registered()  # urban communities start with their committee
    try:
        community.establish_committee(EstablishResidentsCommittee(CODE, "x居委会"), urban, PACK)
    except CommitteeExists:
        pass
    else:
        raise AssertionError("a second committee must be a conflict")


def test_a_grid_decision_leaves_the_state_it_was_given_unchanged() -> None:
    state = registered()
    before = deepcopy(state)
    figures = GridFigures(households=300, population=900, area_km2=Decimal("0.2"))
    micro = [NewMicroGrid("一号楼", "building", households=300)]
    decision = grids.decide(CreateGrid(CODE, "一网格", "residential", figures, micro), state, PACK)
    assert not isinstance(decision, Refused)
    assert isinstance(decision[0], GridCreated)
    assert state == before  # the decision folded a copy, not the handler's state
    unknown = grids.decide(ResizeGrid(CODE, "no-such-grid", figures), state, PACK)
    assert isinstance(unknown, Refused) and unknown.problems


def test_decide_modules_do_no_io() -> None:
    """A decide.py imports no database, broker, HTTP or pipeline machinery (Refused aside)."""
    forbidden = ("asyncpg", "aiokafka", "fastapi", "httpx", "shared.eventstore.store")
    for path in sorted(REGISTRY.glob("*/decide.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert not module.startswith(forbidden), f"{path}: imports {module}"
                if module == "shared.pipeline":
                    assert [a.name for a in node.names] == ["Refused"], path
    assert (
        len(list(REGISTRY.glob("*/decide.py"))) == 4
    )  # community, grids, establishment, conversion


def test_every_command_has_a_stable_name_and_every_event_a_type() -> None:
    """Commands are imperative dataclasses named by `command_type` (their class name, which the
    metadata's `command` records); every event in the catalogue has its own type. Publishing
    a pack is the kernel's (shared/policy_publication.py), its commands and events included."""
    kernel = ["shared.policy_publication"]
    commands = []
    slices = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in REGISTRY.glob("*/commands.py")
    ]
    for name in sorted(slices) + kernel:
        module = importlib.import_module(name)
        commands += [
            c for c in vars(module).values()
            if dataclasses.is_dataclass(c) and isinstance(c, type) and hasattr(c, "command_type")
            and c.__module__ == module.__name__
        ]  # fmt: skip
    names = {c.__name__: c.command_type for c in commands}  # type: ignore[attr-defined]
    assert names and all(k == v for k, v in names.items()), names
    assert {"RegisterCommunity", "CreateGrid", "RecordConversionStep", "PublishPolicyPack"} <= set(
        names
    )
    declared: set[type] = set()
    slices = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in REGISTRY.glob("*/events.py")
    ]
    for name in sorted(slices) + kernel:
        module = importlib.import_module(name)
        declared |= {
            t for name, v in vars(module).items() if name.endswith("_EVENT_TYPES") for t in v
        }
    catalogue = registry_catalog().types()
    assert set(catalogue.values()) == declared  # every slice's events, each under its own type
    assert all(cls.event_type == name for name, cls in catalogue.items())
