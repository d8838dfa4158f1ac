"""A district's findings as events: the floor (seed 003 §7.1.1) and the pay floor (seed 004 §五,
seed 001 §二(三)2). Pure: the findings open on the district's stream and the district's figures
now in, the events that bring the stream in line out. An unchanged outcome appends nothing;
the figures are those of the check that opened a finding (the live ones are on
`GET /v1/districts/{prefix}/staffing`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.staffing.district.events import (
    DistrictFloorFindingOpened,
    DistrictFloorFindingResolved,
    PayFloorFindingOpened,
    PayFloorFindingResolved,
)
from services.staffing.district.schemas import DistrictStaffing
from shared.eventstore import DomainEvent

PayKey = tuple[str | None, int]  # (worker id, or None for the district's average; year)


@dataclass
class OpenFindings:
    """The findings open on a district's stream, folded from it."""

    floor: DistrictFloorFindingOpened | None = None
    pay: dict[PayKey, PayFloorFindingOpened] = field(default_factory=dict)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, DistrictFloorFindingOpened):
            self.floor = event
        elif isinstance(event, DistrictFloorFindingResolved):
            self.floor = None
        elif isinstance(event, PayFloorFindingOpened):
            self.pay[(event.worker_id, event.year)] = event
        elif isinstance(event, PayFloorFindingResolved):
            self.pay.pop((event.worker_id, event.year), None)


def reconcile(found: OpenFindings, now: DistrictStaffing) -> list[DomainEvent]:
    """The events that make the open findings those of `now`."""
    decided: list[DomainEvent] = []
    if now.below_floor and found.floor is None:
        assert now.floor is not None and now.floor_rule and now.finding
        decided.append(DistrictFloorFindingOpened(
            prefix=now.prefix, residents=now.residents, filled=now.filled, floor=now.floor,
            rule=now.floor_rule, finding=now.finding,
        ))  # fmt: skip
    elif not now.below_floor and found.floor is not None:
        reason = (
            f"{now.filled} filled positions reach the floor of {now.floor}"
            if now.floor is not None else "no policy pack covers the district"
        )  # fmt: skip
        decided.append(DistrictFloorFindingResolved(
            prefix=now.prefix, residents=now.residents, filled=now.filled, floor=now.floor,
            reason=reason,
        ))  # fmt: skip
    below = _pay_below(now)
    for worker_id, year in sorted(below.keys() - found.pay.keys(), key=_order):
        decided.append(below[(worker_id, year)])
    for worker_id, year in sorted(found.pay.keys() - below.keys(), key=_order):
        whose = "the district's average" if worker_id is None else "the pay"
        decided.append(PayFloorFindingResolved(
            prefix=now.prefix, year=year, worker_id=worker_id,
            reason=f"{whose} of {year} meets the floor now (or the floor no longer applies)",
        ))  # fmt: skip
    return decided


def _pay_below(now: DistrictStaffing) -> dict[PayKey, PayFloorFindingOpened]:
    below: dict[PayKey, PayFloorFindingOpened] = {
        (f.worker_id, f.year): PayFloorFindingOpened(
            prefix=now.prefix, year=f.year, worker_id=f.worker_id, workers=1,
            pay_fen=f.annual_pay_fen, floor_fen=f.floor_fen, rule=f.rule,
        )
        for f in now.pay_below_floor
    }  # fmt: skip
    for a in now.pay_averages:
        if a.below_floor:
            below[(None, a.year)] = PayFloorFindingOpened(
                prefix=now.prefix, year=a.year, worker_id=None, workers=a.workers,
                pay_fen=a.average_fen, floor_fen=a.floor_fen, rule=a.rule,
            )  # fmt: skip
    return below


def _order(key: PayKey) -> tuple[str, int]:
    return (key[0] or "", key[1])
