"""Qualification bonuses (Xixian, seed 002 §五(二)): 5,000 / 3,000 / 2,000 yuan once for each
senior social worker / social worker / assistant social worker qualification a community
worker obtains. Pure.

Staffing's `QualificationObtained` names the community the worker serves that day; the bonus
goes onto that community's line `qualification_bonus` for the year the qualification takes
effect, one input per worker and qualification, so the line's amount is the sum of its inputs
and a worker's qualification is never counted twice. A worker in the reserve pool serves no
community yet: the bonus is held on funding's stream of the worker and released onto the line
of the community of the worker's next assignment (staffing's `WorkerAssigned`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from services.funding.standards.decide import CommunityFunding
from services.funding.standards.events import (
    BudgetLineSet,
    QualificationBonusHeld,
    QualificationBonusReleased,
)
from services.funding.standards.packs import FundingPack
from services.funding.standards.rules import split, yuan
from shared.eventstore import DomainEvent
from shared.values import CommunityCode, DivisionCode, Label

LINE = "qualification_bonus"


class Obtained(BaseModel):
    """What funding reads of staffing's `QualificationObtained`."""

    worker_id: Label
    division_code: DivisionCode
    level: Label
    effective_from: date
    code: CommunityCode | None = None  # None: in the reserve pool (or before staffing said)


class Assigned(BaseModel):
    """What funding reads of staffing's `WorkerAssigned` and `WorkerTransferred`."""

    worker_id: Label
    code: CommunityCode
    effective_from: date


@dataclass
class HeldBonuses:
    """Funding's stream of a worker, folded: the qualifications whose bonus waits."""

    held: dict[str, QualificationBonusHeld] = field(default_factory=dict)  # level → held
    released: set[str] = field(default_factory=set)  # levels whose bonus went to a line

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, QualificationBonusHeld):
            self.held[event.level] = event
        elif isinstance(event, QualificationBonusReleased):
            for level in event.levels:
                self.held.pop(level, None)
                self.released.add(level)


def grant_key(worker_id: str, level: str) -> str:
    return f"{worker_id}/{level}"


def granted(state: CommunityFunding) -> set[str]:
    """Every worker's qualification the community's bonus lines already count, any year."""
    return {key for (_, line), e in state.lines.items() if line == LINE for key in e.inputs}


def bonus_line(
    state: CommunityFunding, code: str, division_code: str, year: int, pack: FundingPack,
    grants: list[tuple[str, str]],
) -> BudgetLineSet | None:  # fmt: skip
    """The community's bonus line of `year` with the (worker, level) grants added; None when
    every grant is counted already or the pack has no bonus for it."""
    bonus = pack.qualification_bonus
    if bonus is None:
        return None
    counted, prices = granted(state), {str(level): fen for level, fen in bonus.fen.items()}
    new = {
        grant_key(worker, level): prices[level]
        for worker, level in grants
        if level in prices and grant_key(worker, level) not in counted
    }
    if not new:
        return None
    last = state.lines.get((year, LINE))
    inputs = {**(last.inputs if last else {}), **{k: str(v) for k, v in new.items()}}
    amount = sum(int(v) for v in inputs.values())
    words = " + ".join(f"{key} {yuan(int(fen))}" for key, fen in inputs.items())
    shares = ":".join(str(s) for s in bonus.payers.values())
    return BudgetLineSet(
        code=code, division_code=division_code, year=year, line=LINE, name=bonus.name,
        amount_fen=amount, previous_fen=last.amount_fen if last else None,
        payers=split(amount, bonus.payers),
        rule=f"{words} = {yuan(amount)} yuan, once per worker and qualification;"
        f" shared {':'.join(bonus.payers)} {shares}",
        source=bonus.source, inputs=inputs, policy_region=pack.region,
        policy_version=pack.version,
    )  # fmt: skip


def hold(obtained: Obtained, worker: HeldBonuses) -> QualificationBonusHeld | None:
    """The bonus held, once: not again while held, nor after its release."""
    if obtained.level in worker.held or obtained.level in worker.released:
        return None
    return QualificationBonusHeld(
        worker_id=obtained.worker_id, division_code=obtained.division_code,
        level=obtained.level, effective_from=obtained.effective_from,
    )  # fmt: skip
