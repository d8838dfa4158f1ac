"""The budget-year roll-over of one community: pure. Next year's lines from the pack in force
and the community's figures as funding knows them, and its admitted matters' lines carried
on (费随事转) unless their exit stops them by then, each appropriated and allocated again."""

from __future__ import annotations

from uuid import UUID, uuid5

from services.funding.ledger.events import PostingKind, PostingRecorded
from services.funding.ledger.model import entries_of
from services.funding.standards.decide import CommunityFunding, decide
from services.funding.standards.events import BudgetLineSet
from services.funding.standards.packs import FundingPack


def roll_over(
    state: CommunityFunding, pack: FundingPack | None, year: int, command_id: UUID
) -> tuple[list[BudgetLineSet], list[PostingRecorded]]:
    """The lines `year` gets that it has not got yet (or with another amount), and the
    postings committing the matters' lines carried on. Nothing for a community funding has not
    seen registered; nothing a second time."""
    if state.facts is None:
        return [], []
    lines = [e for e in decide(state.facts, state, pack, year) if isinstance(e, BudgetLineSet)]
    postings: list[PostingRecorded] = []
    for (was, line_id), last in sorted(state.lines.items()):
        carried = was == year - 1 and line_id.startswith("matter:")
        if (
            not carried
            or (year, line_id) in state.lines
            or state.stopped.get(line_id, year + 1) <= year
        ):
            continue
        line = last.model_copy(update={
            "year": year, "previous_fen": last.amount_fen,
            "inputs": {**last.inputs, "rolled_over_from": str(was)},
        })  # fmt: skip
        lines.append(line)
        payer = last.payers[0].payer
        kinds: tuple[PostingKind, ...] = ("appropriate", "allocate")
        postings += [
            PostingRecorded(
                posting_id=str(uuid5(command_id, f"{line_id}/{kind}")), code=last.code,
                division_code=last.division_code, year=year, line=line_id, payer=payer,
                kind=kind, amount_fen=last.amount_fen,
                entries=entries_of(kind, line_id, payer, last.amount_fen),
                note=f"费随事转: rolled over from {was}",
            )
            for kind in kinds
        ]  # fmt: skip
    return lines, postings
