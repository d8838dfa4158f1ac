"""Recording a district's income figures (what the pay floor is measured against)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.staffing.district.events import DistrictIncomeRecorded, district_stream
from shared.commands import CommandContext
from shared.eventstore import Envelope
from shared.eventstore.store import head_of
from shared.pipeline import Change, CommandPipeline
from shared.values import refusing_invalid_values


@dataclass(frozen=True)
class RecordDistrictIncome:
    command_type: ClassVar[str] = "RecordDistrictIncome"
    prefix: str
    year: int
    urban_per_capita_fen: int
    rural_per_capita_fen: int | None
    source: str


class DistrictHandlers:
    def __init__(self, pipeline: CommandPipeline) -> None:
        self.pipeline = pipeline

    @refusing_invalid_values
    async def record_income(self, cmd: RecordDistrictIncome, ctx: CommandContext) -> list[Envelope]:
        stream = district_stream(cmd.prefix)
        envelopes = await self.pipeline.load(stream)
        same_year = [
            e.payload for e in envelopes
            if e.event_type == "DistrictIncomeRecorded" and e.payload["year"] == cmd.year
        ]  # fmt: skip
        previous = same_year[-1]["urban_per_capita_fen"] if same_year else None
        event = DistrictIncomeRecorded(
            prefix=cmd.prefix, year=cmd.year, urban_per_capita_fen=cmd.urban_per_capita_fen,
            rural_per_capita_fen=cmd.rural_per_capita_fen, source=cmd.source,
            previous_urban_per_capita_fen=previous,
        )  # fmt: skip
        new = self.pipeline.new_event(
            event, cmd.command_type, ctx, subject=cmd.prefix, division_code=cmd.prefix
        )
        return await self.pipeline.save(ctx, Change(stream, head_of(envelopes), [new]))
