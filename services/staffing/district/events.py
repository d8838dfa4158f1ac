"""A district's income figures (stream `district-<prefix>`): what the pay floor is measured
against, each with its source (e.g. the statistics bureau's bulletin)."""

from __future__ import annotations

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


def district_stream(prefix: str) -> str:
    return f"district-{prefix}"


DISTRICT_EVENT_TYPES: tuple[type[DomainEvent], ...] = (DistrictIncomeRecorded,)
