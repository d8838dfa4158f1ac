"""Every registry command, fed arbitrary Unicode and numbers: what is appended, every read model
applies; what is refused appends nothing.

Guards issue 8 §1: values the domain accepted but a projection could not store (non-ASCII
digits, NUL, `true` as a count) stalled a read model for ever. Here hypothesis drives each
command through the handlers against the real PostgreSQL, then runs every projection to the
end of the log: no event may be parked, and a refusal is a WudingError (a 4xx problem, never a
500; or values that cannot even be built, a 422 over HTTP) that leaves the log as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.registry.community.commands import (
    EstablishResidentsCommittee,
    RegisterCommunity,
    UpdateCommunityIndicators,
)
from services.registry.community.events import Indicators, TrustArea
from services.registry.conversion.commands import ProposeConversion, RecordConversionStep
from services.registry.conversion.workflow import ConversionStep
from services.registry.establishment.commands import ProposeEstablishment, RecordEstablishmentStep
from services.registry.establishment.workflow import EstablishmentStep
from services.registry.grids.commands import (
    AddMicroGrid,
    AssignToGrid,
    CreateGrid,
    MergeGrids,
    NewMicroGrid,
    ResizeGrid,
    SplitGrid,
    SplitPart,
)
from services.registry.grids.model import GridFigures
from services.registry.runtime import Registry
from shared.commands import CommandContext
from shared.errors import WudingError
from shared.settings import KernelSettings
from shared.workflow import Document

T = TypeVar("T")
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Arbitrary Unicode without surrogates (a str from JSON never holds one): controls, format
# characters, non-ASCII digits and every script included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
hostile_chars = st.sampled_from(["\x00", "\u202e", "\u200b", "\n", "\x85", "\ufeff", "\u2028"])


def mostly(good: st.SearchStrategy[Any], *bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` seven times in ten, else one of `bad`: a command then often has every field but
    one valid, so both the accepted and the refused paths are walked."""
    return st.integers(0, 9).flatmap(lambda i: good if i < 7 else bad[i % len(bad)])


def text(*valid: str) -> st.SearchStrategy[str]:
    """A valid value, one with a hostile character inside, or anything at all."""
    good = st.sampled_from(valid)
    spoiled = st.tuples(good, hostile_chars, st.integers(0, 4)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )
    return mostly(good, spoiled, any_text)  # type: ignore[no-any-return]


def digits(n: int, *valid: str) -> st.SearchStrategy[str]:
    unicode_digits = st.text(st.characters(categories=("Nd",)), min_size=n, max_size=n)
    return mostly(st.sampled_from(valid), unicode_digits, any_text)  # type: ignore[no-any-return]


counts = mostly(st.integers(0, 20_000), st.integers(-(2**40), 2**40), st.booleans())
decimals = mostly(
    st.sampled_from([Decimal("1.25"), Decimal("0.5")]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
)


def papers(*kinds: str) -> st.SearchStrategy[list[tuple[str, str, str]]]:
    """Documents of `kinds` (what the step needs), or any list of documents at all."""
    paper = st.tuples(text(*kinds), text("基本信息表", "地图"), text("", "甬民〔2024〕1号"))
    needed = st.tuples(
        *(st.tuples(st.just(k), paper.map(lambda p: p[1]), st.just("")) for k in kinds)
    )
    return mostly(needed.map(list), st.lists(paper, max_size=3))  # type: ignore[no-any-return]


def ctx() -> CommandContext:
    return CommandContext(actor_id="property", actor_kind="district", district="330211")


class Unbuildable(Exception):
    """The command's values cannot even be built (over HTTP: the request's 422)."""


def built(model: Callable[..., T], **values: Any) -> T:
    try:
        return model(**values)
    except ValidationError as exc:
        raise Unbuildable from exc


def sized(households: Any, population: Any, area: Any) -> GridFigures:
    return built(GridFigures, households=households, population=population, area_km2=area)


def docs(raw: list[tuple[str, str, str]]) -> list[Document]:
    return [built(Document, kind=k, title=t, reference=r) for k, t, r in raw]


def indicators(households: Any, residents: Any, area: Any) -> Indicators:
    return built(Indicators, households=households, residents=residents, area_km2=area)


class RegistryUnderTest:
    """The registry's handlers and every projection, on the test's database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.runtime = Registry(KernelSettings(service="registry", relay_enabled=False), pool)
        self.handlers = self.runtime.commands
        self.made: dict[str, str] = {}  # set-up shared by one test's examples

    async def events(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM events")
        return count

    async def attempt(self, build: Callable[[], Awaitable[Any]]) -> None:
        """Run one command; a refusal must append nothing; then every projection must apply
        whatever was appended, parking nothing."""
        before = await self.events()
        try:
            await build()
        except (WudingError, Unbuildable):
            assert await self.events() == before, "a refused command appended events"
        for projector in self.runtime.projectors:
            while await projector.run_once():
                pass
        parked = await self.pool.fetch("SELECT reader, event_type, error FROM parked_events")
        assert not parked, [dict(r) for r in parked]

    async def register(self, division: str, **over: Any) -> str:
        fields: dict[str, Any] = {
            "name": "测试社区", "division_code": division, "major_type": "urban",
            "subtype": "老城区社区", "indicators": indicators(2000, 6000, Decimal("1.2")),
            **over,
        }  # fmt: skip
        command = RegisterCommunity(**fields)
        events = await self.handlers.communities.register_community(command, ctx())
        return str(events[0].payload["code"])


@pytest.fixture
async def registry(pool: asyncpg.Pool) -> RegistryUnderTest:
    return RegistryUnderTest(pool)


TYPES = {"urban": ("勤勇社区", "老城区社区"), "rural": ("勤勇村", "城郊型农村社区"),
         "industrial": ("澥浦工业社区", "工业社区")}  # fmt: skip
fresh_divisions = st.integers(1, 999).map(lambda i: f"330211007{i:03d}")


@EXAMPLES
@given(
    major_type=st.sampled_from(sorted(TYPES)),
    spoil=st.data(),
    division=mostly(fresh_divisions, digits(12, "330211007001"), any_text),
    households=counts,
    residents=counts,
    area=decimals,
    committee=st.one_of(st.none(), st.booleans()),
    trust=mostly(
        st.just([]), st.lists(st.tuples(text("飞地"), decimals, text("确有需要托管")), max_size=2)
    ),
)
async def test_registration(
    registry: RegistryUnderTest,
    major_type: str,
    spoil: st.DataObject,
    division: str,
    households: Any,
    residents: Any,
    area: Any,
    committee: bool | None,
    trust: list[tuple[str, Any, str]],
) -> None:
    name = spoil.draw(text(TYPES[major_type][0]))
    subtype = spoil.draw(text(TYPES[major_type][1]))

    async def run() -> None:
        await registry.register(
            division, name=name, major_type=major_type, subtype=subtype,
            indicators=indicators(households, residents, area), has_residents_committee=committee,
            trust_areas=tuple(built(TrustArea, name=n, area_km2=a, reason=r) for n, a, r in trust),
        )  # fmt: skip

    await registry.attempt(run)


@EXAMPLES
@given(
    which=st.sampled_from(["indicators", "committee", "grid", "micro", "resize", "assign"]),
    name=text("第一网格", "勤勇社区居民委员会"),
    micro_name=text("1幢", "勤勇小区2幢"),
    kind=st.sampled_from(["residential", "industrial", "market"]),
    households=counts,
    population=counts,
    area=decimals,
    target=text("GRID", "33021100400110006"),
)
async def test_community_and_grid_commands(
    registry: RegistryUnderTest,
    which: str,
    name: str,
    micro_name: str,
    kind: Any,
    households: Any,
    population: Any,
    area: Any,
    target: str,
) -> None:
    code = await _community(registry, "330211005001", urban=True)
    grid = await _grid(registry, code)
    target = grid if target == "GRID" else target
    h = registry.handlers

    async def run() -> None:
        if which == "indicators":
            cmd = UpdateCommunityIndicators(code, None, indicators(households, population, area))
            await h.communities.update_indicators(cmd, ctx())
        elif which == "committee":
            await h.communities.establish_residents_committee(
                EstablishResidentsCommittee(code, name), ctx()
            )
        elif which == "grid":
            figures = built(
                GridFigures, households=households, population=population, area_km2=area
            )
            micro = [NewMicroGrid(micro_name, "residential", households=households)]
            await h.grids.handle(CreateGrid(code, name, kind, figures, micro), ctx())
        elif which == "micro":
            micro_grid = NewMicroGrid(micro_name, "building", households=households)
            await h.grids.handle(AddMicroGrid(code, target, micro_grid), ctx())
        elif which == "resize":
            figures = built(
                GridFigures, households=households, population=population, area_km2=area
            )
            micro_ids = {micro_name: (households, population)}
            await h.grids.handle(ResizeGrid(code, target, figures, micro_ids), ctx())
        else:
            moved = sized(households, population, area)
            await h.grids.handle(AssignToGrid(code, target, moved), ctx())

    await registry.attempt(run)


@EXAMPLES
@given(
    which=st.sampled_from(["merge", "split"]),
    name=text("合并网格", "第二网格"),
    sources=mostly(st.just(["GRID", "GRID"]), st.lists(text("33021100400110006"), max_size=3)),
    households=mostly(st.just(150), counts),
)
async def test_merge_and_split(
    registry: RegistryUnderTest, which: str, name: str, sources: list[str], households: Any
) -> None:
    code = await _community(registry, "330211005002", urban=True)
    one, two = await _grid(registry, code), await _grid(registry, code)
    ids = [(one if i % 2 == 0 else two) if s == "GRID" else s for i, s in enumerate(sources)]
    grid_commands = registry.runtime.commands.grids

    async def run() -> None:
        if which == "merge":
            await grid_commands.handle(MergeGrids(code, ids, name), ctx())
            return
        part = built(GridFigures, households=households, population=450)  # each half of the grid
        parts = [
            SplitPart(name, "residential", part, []),
            SplitPart(name + "2", "market", part, []),
        ]
        await grid_commands.handle(SplitGrid(code, ids[0] if ids else "", parts), ctx())

    await registry.attempt(run)


@EXAMPLES
@given(
    name=text("澥浦工业社区"),
    division=digits(12, "330211006001"),
    actor_role=text("town", "district_civil_affairs"),
    outcome=text("pass", "reject"),
    papers=papers("info_sheet", "map"),
    note=text("", "同意\n第二行"),
    departments=st.lists(text("规划", "住建"), max_size=2),
    certificate=st.one_of(st.none(), text("52330211MJ0000001X")),
    step=st.sampled_from(["preliminary_review", "field_survey", "registration"]),
)
async def test_establishment(
    registry: RegistryUnderTest,
    name: str,
    division: str,
    actor_role: str,
    outcome: str,
    papers: list[tuple[str, str, str]],
    note: str,
    departments: list[str],
    certificate: str | None,
    step: str,
) -> None:
    base = ProposeEstablishment(
        "澥浦工业社区", "工业社区", "330211006002", indicators(1000, 3000, Decimal("2")),
        docs([("info_sheet", "信息表", ""), ("map", "地图", "")]),
    )  # fmt: skip
    proposal_id = await _once(registry, "establishment", base)

    async def propose() -> None:
        cmd = ProposeEstablishment(
            name, "工业社区", division, indicators(1000, 3000, Decimal("2")), docs(papers),
            actor_role=actor_role,
        )  # fmt: skip
        await registry.runtime.commands.establishments.propose(cmd, ctx())

    async def take_step() -> None:
        given_step = EstablishmentStep(
            step, actor_role, outcome, docs(papers), note, departments=departments,
            certificate_number=certificate,
        )  # fmt: skip
        await registry.runtime.commands.establishments.take_step(
            RecordEstablishmentStep(proposal_id, given_step), ctx()
        )

    await registry.attempt(propose)
    await registry.attempt(take_step)


@EXAMPLES
@given(
    successor_name=st.one_of(st.none(), text("勤勇社区")),
    successor_subtype=text("城乡接合部社区"),
    successor_division=st.one_of(st.none(), digits(12, "610104002001")),
    actor_role=text("town", "villagers_meeting"),
    outcome=text("consented", "refused"),
    papers=papers("conversion_plan", "meeting_minutes"),
    note=text("", "同意"),
    votes=st.tuples(st.one_of(st.none(), counts), st.one_of(st.none(), counts)),
)
async def test_conversion(
    registry: RegistryUnderTest,
    successor_name: str | None,
    successor_subtype: str,
    successor_division: str | None,
    actor_role: str,
    outcome: str,
    papers: list[tuple[str, str, str]],
    note: str,
    votes: tuple[Any, Any],
) -> None:
    village = await _community(registry, "610104001002", urban=False)
    plan = docs([("conversion_plan", "勤勇村撤村建居方案", "")])
    proposal_id = await _once(registry, "conversion", ProposeConversion(village, True, False, plan))
    other = await _community(registry, "610104001003", urban=False)

    async def propose() -> None:
        cmd = ProposeConversion(
            other, True, False, docs(papers), successor_name=successor_name,
            successor_subtype=successor_subtype, successor_division_code=successor_division,
            actor_role=actor_role,
        )  # fmt: skip
        await registry.runtime.commands.conversions.propose(cmd, ctx())

    async def take_step() -> None:
        given_step = ConversionStep(
            "consent", actor_role, outcome, docs(papers), note, votes_for=votes[0],
            votes_total=votes[1],
        )  # fmt: skip
        await registry.runtime.commands.conversions.take_step(
            RecordConversionStep(proposal_id, given_step), ctx()
        )

    await registry.attempt(propose)
    await registry.attempt(take_step)


# Set-up shared by the examples of one test (hypothesis reuses the function's fixtures).
async def _community(registry: RegistryUnderTest, division: str, *, urban: bool) -> str:
    if division not in registry.made:
        over = (
            {} if urban else {"name": "勤勇村", "major_type": "rural", "subtype": "城郊型农村社区"}
        )
        registry.made[division] = await registry.register(division, **over)
    return registry.made[division]


async def _grid(registry: RegistryUnderTest, code: str) -> str:
    figures = GridFigures(households=300, population=900)
    events = await registry.runtime.commands.grids.handle(
        CreateGrid(code, "基础网格", "residential", figures), ctx()
    )
    grid: str = events[0].payload["grid"]
    return grid


async def _once(registry: RegistryUnderTest, what: str, cmd: Any) -> str:
    if what not in registry.made:
        if what == "establishment":
            events = await registry.runtime.commands.establishments.propose(cmd, ctx())
        else:
            events = await registry.runtime.commands.conversions.propose(cmd, ctx())
        registry.made[what] = str(events[0].payload["proposal_id"])
    return registry.made[what]
