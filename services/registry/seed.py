"""A synthetic Ningbo (`wuding seed ningbo`): a realistic city, made through the command path.

Seed 004 gives the shape: 711 urban communities and 2,158 rural ones (行政村建制的农村社区),
about 12.6k grids and 57.1k micro-grids, ~310 households a grid on average. We add some tens of
industrial communities (镇海-style 工业社区 / 楼宇社区, seed 000). Every community is
registered and every grid created by the real command handlers, so each gets its code, tier,
size findings and events exactly as a district system's request would.

The plan is deterministic per seed, and so are the command ids: running the seed again
appends nothing (each command replays its first result), and an interrupted run resumes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from services.registry.community.commands import RegisterCommunity
from services.registry.community.events import Indicators
from services.registry.grids.commands import CreateGrid, NewMicroGrid
from services.registry.grids.model import GridFigures, GridKind
from shared.commands import CommandContext

if TYPE_CHECKING:
    from services.registry.runtime import RegistryCommands

# Ningbo's districts and counties (GB/T 2260), with a share of the city's communities.
NINGBO_COUNTIES = {
    "330203": "海曙区", "330205": "江北区", "330206": "北仑区", "330211": "镇海区",
    "330212": "鄞州区", "330213": "奉化区", "330225": "象山县", "330226": "宁海县",
    "330281": "余姚市", "330282": "慈溪市",
}  # fmt: skip
URBAN, RURAL, INDUSTRIAL = 711, 2158, 36
# Tuned so the synthetic city lands on seed 004's totals (rounding adds grids): ~12.6k, ~57.1k.
HOUSEHOLDS_PER_GRID, HOUSEHOLDS_PER_MICRO_GRID = 320, 71
SURNAMES = "陈王李张林徐周吴胡郑孙朱叶应俞方蒋杨毛邵何金施董沈"
PLACES = "东西南北中新前后上下大小"
NAMES = "安宁和兴盛平康乐福泰丰华明秀湖桥河山塘港浦岙岭溪"
URBAN_SUBTYPES = ("老城区社区", "新建住宅区社区", "城乡接合部社区")
RURAL_SUBTYPES = ("城郊型农村社区", "纯农型农村社区")


@dataclass(frozen=True)
class GridPlan:
    name: str
    kind: GridKind
    figures: GridFigures
    micro_grids: list[NewMicroGrid]


@dataclass(frozen=True)
class CommunityPlan:
    registration: RegisterCommunity
    grids: list[GridPlan]


@dataclass
class SeedReport:
    communities: int = 0
    grids: int = 0
    micro_grids: int = 0
    events: int = 0
    seconds: float = 0.0
    tiers: Counter[str] = field(default_factory=Counter)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def plan_ningbo(seed: int = 2023, scale: float = 1.0) -> list[CommunityPlan]:
    """The synthetic city: `scale` 1.0 is the whole of it (0.1: a tenth, for quick runs)."""
    rng = random.Random(seed)
    counts = {
        "urban": round(URBAN * scale),
        "rural": round(RURAL * scale),
        "industrial": max(1, round(INDUSTRIAL * scale)),
    }
    divisions = _divisions(rng, sum(counts.values()))
    plans: list[CommunityPlan] = []
    for major_type, count in counts.items():
        for _ in range(count):
            plans.append(_community(rng, major_type, divisions.pop()))
    rng.shuffle(plans)  # registrations of all kinds interleave, as districts would send them
    return plans


def _divisions(rng: random.Random, count: int) -> list[str]:
    """Distinct 12-digit division codes: county, town 001-030, village-level unit 001-299."""
    codes: set[str] = set()
    counties = list(NINGBO_COUNTIES)
    while len(codes) < count:
        town = rng.randint(1, 30)
        codes.add(f"{rng.choice(counties)}{town:03d}{rng.randint(1, 299):03d}")
    return sorted(codes)


def _name(rng: random.Random, suffix: str) -> str:
    return rng.choice(PLACES + SURNAMES) + rng.choice(NAMES) + suffix


def _community(rng: random.Random, major_type: str, division: str) -> CommunityPlan:
    if major_type == "industrial":
        return _industrial(rng, division)
    urban = major_type == "urban"
    households = int(rng.lognormvariate(7.75 if urban else 6.75, 0.45))
    households = min(max(households, 150), 5900)  # Ningbo cleared every community above 6,000
    residents = int(households * rng.uniform(2.3, 3.0))
    indicators = Indicators(
        households=households,
        residents=residents,
        area_km2=Decimal(str(round(rng.uniform(0.3, 3.0) if urban else rng.uniform(1.5, 9.0), 2))),
        floating_population=int(residents * rng.uniform(0.05, 0.45 if urban else 0.25)),
    )
    registration = RegisterCommunity(
        name=_name(rng, "社区" if urban else "村"),
        division_code=division,
        major_type=major_type,
        subtype=rng.choice(URBAN_SUBTYPES if urban else RURAL_SUBTYPES),
        indicators=indicators,
    )
    grid_count = max(1, round(households / HOUSEHOLDS_PER_GRID))
    grids = []
    for i, grid_households in enumerate(_divide(households, grid_count)):
        micro = max(1, round(grid_households / HOUSEHOLDS_PER_MICRO_GRID))
        grids.append(
            GridPlan(
                name=f"第{i + 1}网格",
                kind="residential",
                figures=GridFigures(
                    households=grid_households, population=residents * grid_households // households
                ),
                micro_grids=[
                    NewMicroGrid(
                        name=f"第{i + 1}网格{j + 1}号微网格", kind="residential", households=h
                    )
                    for j, h in enumerate(_divide(grid_households, micro))
                ],
            )
        )
    return CommunityPlan(registration, grids)


def _industrial(rng: random.Random, division: str) -> CommunityPlan:
    subtype = rng.choice(("工业社区", "楼宇社区"))
    employed = rng.randint(3000, 20000)
    entities = rng.randint(60, 400)
    registration = RegisterCommunity(
        name=_name(rng, subtype),
        division_code=division,
        major_type="industrial",
        subtype=subtype,
        indicators=Indicators(
            households=0,
            residents=0,
            area_km2=Decimal(str(round(rng.uniform(1.0, 8.0), 2))),
            employed_population=employed,
            business_entities=entities,
            on_site_share=Decimal(str(round(rng.uniform(0.05, 0.4), 2))),
        ),
    )
    count = max(1, round(employed / 1000))  # 规模1000人左右为基本单元 (seed 000 §二(三)2)
    grids = [
        GridPlan(
            name=f"第{i + 1}产业网格",
            kind="industrial",
            figures=GridFigures(population=people, business_entities=firms),
            micro_grids=[
                NewMicroGrid(name=f"企业{i + 1}-{j + 1}", kind="enterprise", business_entities=1)
                for j in range(min(firms, 5))
            ],
        )
        for i, (people, firms) in enumerate(
            zip(_divide(employed, count), _divide(entities, count), strict=True)
        )
    ]
    return CommunityPlan(registration, grids)


def _divide(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal whole parts."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


async def seed_city(
    commands: RegistryCommands,
    plans: list[CommunityPlan],
    *,
    actor: str,
    seed: int,
    concurrency: int = 8,
) -> SeedReport:
    """Register every community and create its grids, `concurrency` communities at a time."""
    report = SeedReport()
    queue: asyncio.Queue[CommunityPlan] = asyncio.Queue()
    for plan in plans:
        queue.put_nowait(plan)
    namespace = uuid5(NAMESPACE_URL, f"wuding:seed:ningbo:{seed}")

    def ctx(key: str) -> CommandContext:
        command_id: UUID = uuid5(namespace, key)
        return CommandContext(actor_id=actor, actor_kind="operator", command_id=command_id)

    async def worker() -> None:
        while not queue.empty():
            plan = queue.get_nowait()
            division = plan.registration.division_code
            events = await commands.communities.register_community(plan.registration, ctx(division))
            code = str(events[0].payload["code"])
            appended = len(events)
            report.tiers[next(str(e.payload["tier"]) for e in events if "tier" in e.payload)] += 1
            for i, grid in enumerate(plan.grids):
                command = CreateGrid(
                    code=code, name=grid.name, kind=grid.kind, figures=grid.figures,
                    micro_grids=grid.micro_grids,
                )  # fmt: skip
                appended += len(await commands.grids.handle(command, ctx(f"{division}/{i}")))
            # Counted after the awaits: `report.x += await f()` would read x before awaiting
            # and lose the other workers' increments.
            report.events += appended
            report.micro_grids += sum(len(g.micro_grids) for g in plan.grids)
            report.grids += len(plan.grids)
            report.communities += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    report.seconds = time.perf_counter() - started
    return report
