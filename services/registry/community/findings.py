"""Size findings (DOMAIN.md §1 "Size rules"; grids: §1 "Grids"): alerts, not refusals.

Pure. `breaches` says which community rules a community breaks; `grid_breaches` (grids.py)
does the same for a grid and its micro-grids. `finding_events` compares what is broken now
with the findings already open and yields what to raise and what to resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from services.registry.community.events import SizeFindingRaised, SizeFindingResolved
from services.registry.grids.model import GridSpec
from services.registry.policy.packs import PolicyPack, SizeRule
from shared.eventstore import DomainEvent

# A finding is open per rule and subject: None for the community itself, else a grid code
# or micro-grid id.
FindingKey = tuple[str, str | None]


@dataclass(frozen=True)
class Breach:
    rule: str
    subject: str | None
    indicator: str
    value: Decimal
    limit: str
    source: str

    @property
    def key(self) -> FindingKey:
        return (self.rule, self.subject)


def _limit_text(rule: SizeRule, value: Decimal) -> str:
    if rule.max is not None and value > rule.max:
        return f"{rule.indicator} {value} > {rule.max}"
    if rule.min is not None and value < rule.min:
        return f"{rule.indicator} {value} < {rule.min}"
    return f"{rule.indicator} {value} ≥ {rule.reaches}"


def _broken(rule: SizeRule, value: Decimal) -> bool:
    return (
        (rule.max is not None and value > rule.max)
        or (rule.min is not None and value < rule.min)
        or (rule.reaches is not None and value >= rule.reaches)
    )


def breaches(
    pack: PolicyPack,
    major_type: str,
    indicators: dict[str, Decimal],
    has_residents_committee: bool,
) -> list[Breach]:
    found = []
    for rule in pack.size_rules:
        if major_type not in rule.major_types:
            continue
        if rule.only_without_residents_committee and has_residents_committee:
            continue
        value = indicators.get(rule.indicator, Decimal(0))
        if _broken(rule, value):
            found.append(
                Breach(rule.id, None, rule.indicator, value, _limit_text(rule, value), rule.source)
            )
    return found


def grid_breaches(pack: PolicyPack, grid: GridSpec) -> list[Breach]:
    """Size findings of one grid and its micro-grids under the pack's grid rules."""
    rules = pack.grids
    found: list[Breach] = []
    if grid.kind == "residential":
        band = rules.grid_households
        value = Decimal(grid.figures.households)
        if not band.min <= value <= band.max:
            found.append(
                Breach(
                    "grid.households_band",
                    grid.grid,
                    "households",
                    value,
                    f"households {value} outside {band.min}-{band.max}",
                    band.source,
                )
            )
    elif grid.kind == "industrial":
        guide = rules.industrial_grid
        factor = 1 + guide.tolerance
        measures = {
            "population": (Decimal(grid.figures.population), guide.population),
            "area_km2": (grid.figures.area_km2, guide.area_km2),
            "business_entities": (Decimal(grid.figures.business_entities), guide.business_entities),
        }
        for indicator, (value, unit) in measures.items():
            if value > unit * factor:
                found.append(
                    Breach(
                        "industrial_grid.above_guide",
                        grid.grid,
                        indicator,
                        value,
                        f"{indicator} {value} > {unit} × {factor} (about {unit}: subdivide)",
                        guide.source,
                    )
                )
                break  # one finding per grid: the first measure over its guide
    band = rules.micro_grid_households
    for micro in grid.micro_grids:
        if micro.kind != "residential":
            continue  # 一企一格 / 一园一格 / 一楼一格 are sized by their object, not households
        value = Decimal(micro.households)
        if not band.min <= value <= band.max:
            found.append(
                Breach(
                    "micro_grid.households_band",
                    micro.id,
                    "households",
                    value,
                    f"households {value} outside {band.min}-{band.max}",
                    band.source,
                )
            )
    return found


def finding_events(
    code: str,
    pack: PolicyPack,
    broken: Iterable[Breach],
    open_findings: dict[FindingKey, str],
    scope: set[str | None],
    current: Callable[[str, str | None], Decimal],
) -> list[DomainEvent]:
    """Raise each breach not yet open; resolve each open finding in `scope` no longer broken.

    `open_findings` maps each open finding to its indicator; `current(indicator, subject)` is
    the figure now (recorded on the resolution).
    """
    now = {b.key: b for b in broken}
    raised: list[DomainEvent] = [
        SizeFindingRaised(
            code=code,
            rule=b.rule,
            subject=b.subject,
            indicator=b.indicator,
            value=b.value,
            limit=b.limit,
            policy_region=pack.region,
            policy_version=pack.version,
            source=b.source,
        )
        for key, b in sorted(now.items(), key=_order)
        if key not in open_findings
    ]
    resolved: list[DomainEvent] = [
        SizeFindingResolved(
            code=code,
            rule=rule,
            subject=subject,
            indicator=indicator,
            value=current(indicator, subject),
            policy_region=pack.region,
            policy_version=pack.version,
        )
        for (rule, subject), indicator in sorted(open_findings.items(), key=_order)
        if subject in scope and (rule, subject) not in now
    ]
    return raised + resolved


def _order(item: tuple[FindingKey, object]) -> tuple[str, str]:
    (rule, subject), _ = item
    return (subject or "", rule)
