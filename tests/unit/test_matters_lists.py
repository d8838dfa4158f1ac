"""Matters' pure logic: the catalogues hold the seeds' counts, a list opens once and ends once,
and the push check accepts exactly the matters on the list at that moment."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.matters.catalogue.packs import MattersPack, packs
from services.matters.lists.decide import (
    CommunityList,
    Conversion,
    Entry,
    Registration,
    end_list,
    open_list,
)
from services.matters.lists.events import ListedMatter
from services.matters.lists.handlers import ListObserver
from services.matters.runtime import matters_catalog
from services.matters.tasks.decide import RULE, PushTask, decide_push
from services.matters.tasks.events import TaskPushed, TaskRefused
from shared.cloudevents import IncomingEvent
from shared.eventstore.memory import MemoryEventStore
from shared.inbox import PoisonEvent
from shared.pipeline import CommandPipeline

CODE, DIVISION = "33021100400110006", "330211004001"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def ningbo() -> MattersPack:
    (pack,) = [p for p in packs() if p.region == "ningbo"]
    return pack


def test_each_catalogue_holds_the_counts_its_seed_gives() -> None:
    """Seed 000 §二(二): industrial 3/16 (+ 8 grid duties); seed 004 §二: urban 4/17/79, rural
    5/20/91 (+ the basic grid's 8). Items the seeds do not give are marked, never invented."""
    counted = {k: c.counted().model_dump() for k, c in ningbo().catalogues.items()}
    assert counted == {
        "industrial": {"categories": 3, "subcategories": 16, "functions": 16},
        "urban": {"categories": 4, "subcategories": 17, "functions": 79},
        "rural": {"categories": 5, "subcategories": 20, "functions": 91},
    }
    for kind, catalogue in ningbo().catalogues.items():
        assert len(catalogue.grid_duties.items) == 8
        in_seeds = {f.in_seeds for f in catalogue.functions}
        assert in_seeds == ({True} if kind == "industrial" else {False})
    industrial = ningbo().catalogues["industrial"]
    assert [len(c.subcategories) for c in industrial.categories] == [3, 6, 7]
    assert all(f.examples for f in industrial.functions)  # each with the seed's examples
    assert {f.runway for f in industrial.functions} <= {
        "党建统领",
        "经济生态",
        "平安法治",
        "公共服务",
    }


def test_a_catalogue_whose_items_do_not_add_up_to_its_counts_does_not_load() -> None:
    raw = ningbo().model_dump(mode="json")
    raw["catalogues"]["urban"]["counts"]["functions"] = 80
    with pytest.raises(ValidationError, match="the seed says"):
        MattersPack.model_validate_json(json.dumps(raw))


def registration(kind: str = "urban") -> Registration:
    return Registration(code=CODE, division_code=DIVISION, major_type=kind)  # type: ignore[arg-type]


def folded(*events: object) -> CommunityList:
    state = CommunityList()
    for e in events:
        state.apply(e)  # type: ignore[arg-type]
    return state


def test_a_list_opens_once_with_its_type_basic_functions_and_ends_once() -> None:
    (opened,) = open_list(registration("industrial"), T0, CommunityList(), ningbo())
    assert len(opened.items) == 16 and opened.policy_version == "2023.1"
    assert opened.runways == sorted({m.runway for m in opened.items})
    state = folded(opened)
    assert open_list(registration("industrial"), T0, state, ningbo()) == []  # a replay
    conversion = Conversion(code=CODE, successor_code="33021100400110014")
    (ended,) = end_list(conversion, T0 + timedelta(days=1), state)
    assert ended.successor == "33021100400110014" and ended.division_code == DIVISION
    assert end_list(conversion, T0 + timedelta(days=2), folded(opened, ended)) == []
    assert end_list(conversion, T0, CommunityList()) == []  # never seen registered
    (empty,) = open_list(registration(), T0, CommunityList(), None)
    assert empty.items == [] and "no policy region" in empty.source


def push(matter_id: str) -> PushTask:
    return PushTask(CODE, matter_id, "区民政局", "走访")


def listed(*ids: str) -> CommunityList:
    items = [ListedMatter(matter_id=i, name=i, runway="公共服务", basis="basic") for i in ids]
    state = CommunityList(code=CODE, division_code=DIVISION, community_type="urban")
    state.opened_at, state.entries = T0, {m.matter_id: Entry(m, T0) for m in items}
    return state


@given(
    on_list=st.lists(st.from_regex(r"[A-Z][0-9]{2}\.[0-9]{2}", fullmatch=True), max_size=8),
    asked=st.text(min_size=1, max_size=40),
    offset=st.integers(min_value=-3, max_value=3),
    ended=st.booleans(),
)
def test_a_push_is_accepted_exactly_when_the_matter_is_on_the_list_then(
    on_list: list[str], asked: str, offset: int, ended: bool
) -> None:
    """Any matter id (arbitrary Unicode), before, during or after the list's life."""
    state = listed(*on_list)
    if ended:
        state.ended_at = T0 + timedelta(days=2)
    at = T0 + timedelta(days=offset)
    open_then = at >= T0 and not (ended and at >= T0 + timedelta(days=2))
    decided = decide_push(push(asked), "t-1", state, at)
    if asked in on_list and open_then:
        assert isinstance(decided, TaskPushed) and decided.runway == "公共服务"
    else:
        assert isinstance(decided, TaskRefused) and decided.rule == RULE
        assert (decided.code, decided.division_code, decided.matter_id) == (CODE, DIVISION, asked)
        if ended and at >= T0 + timedelta(days=2):
            assert "list ended" in decided.reason


async def test_a_registration_matters_cannot_read_is_poison_and_appends_nothing() -> None:
    store = MemoryEventStore()
    pipeline = CommandPipeline(store, matters_catalog())
    data = {"code": CODE, "division_code": DIVISION, "major_type": "城市"}
    event = IncomingEvent(
        event_id=uuid4(), source="/wuding/registry", type="CommunityRegistered",
        schema_version=1, subject=CODE, time=T0, data=data, headers={},
    )  # fmt: skip
    with pytest.raises(PoisonEvent, match="CommunityRegistered"):
        await ListObserver().observe(event, pipeline)
    assert await store.read_stream(f"list-{CODE}") == []
