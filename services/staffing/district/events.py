"""A district's stream (`district-<prefix>`): its income figures, what the pay floor is
measured against, each with its source (e.g. the statistics bureau's bulletin); and its
findings, opened and resolved as the district's figures cross the floors
(services/staffing/district/findings.py)."""

from __future__ import annotations

from typing import ClassVar

from shared.eventstore import DomainEvent
from shared.values import Fen, Title, Year


class DistrictIncomeRecorded(DomainEvent):
    """Per-capita disposable income of the district's urban (and rural) residents for a year.
    Recording a year again corrects it: the latest counts, the earlier stays in the log."""

    event_type = "DistrictIncomeRecorded"

    prefix: str
    year: Year
    urban_per_capita_fen: Fen
    rural_per_capita_fen: Fen | None
    source: Title
    previous_urban_per_capita_fen: int | None


class DistrictFloorFindingOpened(DomainEvent):
    """Filled positions across the district fell below the floor (seed 003 §7.1.1): the
    figures the check saw, and the rule."""

    event_type = "DistrictFloorFindingOpened"
    is_decision: ClassVar[bool] = True

    prefix: str
    residents: int
    filled: int
    floor: int
    rule: str
    finding: str


class DistrictFloorFindingResolved(DomainEvent):
    event_type = "DistrictFloorFindingResolved"
    is_decision: ClassVar[bool] = True

    prefix: str
    residents: int
    filled: int
    floor: int | None  # None: no pack covers the district any more
    reason: str


class PayFloorFindingOpened(DomainEvent):
    """A recorded annual pay below the pack's pay floor (seed 004 §五, seed 001 §二(三)2):
    one worker's (`worker_id`, pseudonymous), or the district's urban average of the year
    (`worker_id` null) when the pack's floor bounds the average."""

    event_type = "PayFloorFindingOpened"
    is_decision: ClassVar[bool] = True

    prefix: str
    year: int
    worker_id: str | None
    workers: int
    pay_fen: int  # the worker's annual pay, or the average (rounded half up)
    floor_fen: int
    rule: str


class PayFloorFindingResolved(DomainEvent):
    event_type = "PayFloorFindingResolved"
    is_decision: ClassVar[bool] = True

    prefix: str
    year: int
    worker_id: str | None
    reason: str


def district_stream(prefix: str) -> str:
    return f"district-{prefix}"


DISTRICT_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    DistrictIncomeRecorded, DistrictFloorFindingOpened, DistrictFloorFindingResolved,
    PayFloorFindingOpened, PayFloorFindingResolved,
)  # fmt: skip
