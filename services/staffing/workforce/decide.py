"""Position control and worker decisions: pure. State (folded from the log) and a command in →
the events to append, a `Refused` with every reason (422), or a `WorkforceConflict` (409)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from services.staffing.quota.events import CommunityObserved, QuotaSet
from services.staffing.quota.packs import AppraisalResult, StaffingPack
from services.staffing.workforce.events import (
    PayRecorded,
    PositionAbolished,
    PositionAuthorised,
    PositionFilled,
    PositionVacated,
    Qualification,
    QualificationObtained,
    WorkerAppraised,
    WorkerAssigned,
    WorkerDeparted,
    WorkerErased,
    WorkerLeaveStarted,
    WorkerRecruited,
    WorkerReturned,
    WorkerTransferred,
)
from services.staffing.workforce.ids import position_id
from shared.errors import Conflict, FieldProblem, NotFound
from shared.eventstore import DomainEvent
from shared.pipeline import Refused


class WorkforceConflict(Conflict):
    title = "The worker or position is not in a state that allows this"


@dataclass
class Position:
    post: str
    effective_from: date
    abolished_from: date | None = None
    # Who held it from which day (None: vacated), in the order recorded.
    holders: list[tuple[date, str | None]] = field(default_factory=list)

    @property
    def worker_id(self) -> str | None:
        """Who holds it now (the last fill or vacancy recorded)."""
        return self.holders[-1][1] if self.holders else None

    def holder_on(self, day: date) -> str | None:
        """Who held it on `day`, by the days the fills and vacancies took effect."""
        held = [who for since, who in sorted(self.holders, key=lambda h: h[0]) if since <= day]
        return held[-1] if held else None

    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.abolished_from is None or day < self.abolished_from
        )


@dataclass
class CommunityPositions:
    """A community's stream in staffing, as position control sees it."""

    division_code: str | None = None
    status: str | None = None
    quota: int | None = None
    quota_rule: str | None = None
    positions: dict[str, Position] = field(default_factory=dict)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, CommunityObserved):
            self.division_code, self.status = event.division_code, event.status
        elif isinstance(event, QuotaSet):
            self.quota, self.quota_rule = event.quota, event.rule
        elif isinstance(event, PositionAuthorised):
            self.positions[event.position_id] = Position(event.post, event.effective_from)
        elif isinstance(event, PositionAbolished):
            self.positions[event.position_id].abolished_from = event.effective_from
        elif isinstance(event, PositionFilled):
            self.positions[event.position_id].holders.append(
                (event.effective_from, event.worker_id)
            )
        elif isinstance(event, PositionVacated):
            self.positions[event.position_id].holders.append((event.effective_from, None))

    def standing(self) -> list[Position]:
        """Positions not abolished: what the quota bounds."""
        return [p for p in self.positions.values() if p.abolished_from is None]

    def counts_on(self, day: date) -> tuple[int, int]:
        """(authorised, filled) on `day`, by the days each took effect."""
        active = [p for p in self.positions.values() if p.active_on(day)]
        return len(active), sum(1 for p in active if p.holder_on(day) is not None)


WorkerStatus = Literal["pool", "assigned", "on_leave", "departed"]


@dataclass
class Worker:
    """A worker's stream, folded (no personal field: those stay sealed)."""

    worker_id: str = ""
    division_code: str = ""
    status: WorkerStatus | None = None  # None: no such worker
    position_id: str | None = None
    code: str | None = None
    recruited_on: date | None = None
    appraisals: dict[int, AppraisalResult] = field(default_factory=dict)
    pay: dict[int, int] = field(default_factory=dict)
    qualifications: dict[Qualification, date] = field(default_factory=dict)
    erased: bool = False

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, WorkerRecruited):
            self.worker_id, self.division_code = event.worker_id, event.division_code
            self.status, self.recruited_on = "pool", event.effective_from
        elif isinstance(event, WorkerAssigned | WorkerTransferred):
            self.status, self.position_id, self.code = "assigned", event.position_id, event.code
        elif isinstance(event, WorkerLeaveStarted):
            self.status = "on_leave"
        elif isinstance(event, WorkerReturned):
            self.status = "assigned"
        elif isinstance(event, WorkerDeparted):
            self.status, self.position_id = "departed", None
        elif isinstance(event, WorkerAppraised):
            self.appraisals[event.year] = event.result
        elif isinstance(event, PayRecorded):
            self.pay[event.year] = event.annual_pay_fen
        elif isinstance(event, QualificationObtained):
            self.qualifications[event.level] = event.effective_from
        elif isinstance(event, WorkerErased):
            self.erased = True


def authorise(
    community: CommunityPositions, code: str, post: str, day: date, pack: StaffingPack | None
) -> PositionAuthorised | Refused:
    """A new position, if the post is in the catalogue and the quota has room for it."""
    if community.status == "ended":
        raise WorkforceConflict(f"community {code} has ended: no position can be authorised")
    problems = []
    if pack is None or post not in pack.posts:
        known = ", ".join(pack.posts) if pack else "none: no staffing policy region covers it"
        problems.append(FieldProblem("post", f"not in the post catalogue (posts: {known})"))
    standing = len(community.standing())
    if community.quota is None:
        why = community.quota_rule or "staffing has decided no quota yet"
        problems.append(FieldProblem("post", f"the community has no quota: {why}"))
    elif standing + 1 > community.quota:
        problems.append(
            FieldProblem(
                "post",
                f"beyond the quota: {standing} positions are authorised and the quota is"
                f" {community.quota} ({community.quota_rule})",
            )
        )
    if problems:
        return Refused("the position cannot be authorised", problems)
    assert community.quota is not None and community.division_code is not None
    return PositionAuthorised(
        code=code, division_code=community.division_code,
        position_id=position_id(code, len(community.positions) + 1), post=post,
        effective_from=day, quota=community.quota, authorised=standing + 1,
    )  # fmt: skip


def abolish(
    community: CommunityPositions, code: str, pid: str, day: date, reason: str
) -> PositionAbolished:
    position = _position(community, pid)
    if position.abolished_from is not None:
        raise WorkforceConflict(f"position {pid} is already abolished")
    if position.worker_id is not None:
        raise WorkforceConflict(
            f"position {pid} is filled by {position.worker_id}: vacate it first"
        )
    return PositionAbolished(code=code, position_id=pid, effective_from=day, reason=reason)


def recruit(
    worker: Worker, wid: str, division_code: str, day: date, personal: object
) -> WorkerRecruited:
    if worker.status is not None:
        raise WorkforceConflict(f"worker {wid} is already recruited")
    return WorkerRecruited.model_validate(
        {"worker_id": wid, "division_code": division_code, "effective_from": day,
         "personal": personal}
    )  # fmt: skip


def assign(
    worker: Worker, community: CommunityPositions, pid: str, day: date
) -> tuple[WorkerAssigned, PositionFilled] | Refused:
    """Fill a vacancy from the reserve pool (随缺随补, seed 004 §四)."""
    _require_status(worker, "pool", "assigned from the reserve pool")
    code = pid[:17]
    if refused := _fillable(worker, community, pid, day):
        return refused
    return (
        WorkerAssigned(worker_id=worker.worker_id, position_id=pid, code=code, effective_from=day),
        PositionFilled(code=code, position_id=pid, worker_id=worker.worker_id, effective_from=day),
    )


def transfer(
    worker: Worker, community: CommunityPositions, pid: str, day: date
) -> tuple[WorkerTransferred, PositionVacated, PositionFilled] | Refused:
    """Move an assigned worker to a vacancy (the vacated position goes to the same append)."""
    _require_status(worker, "assigned", "transferred")
    assert worker.position_id is not None and worker.code is not None
    if pid == worker.position_id:
        raise WorkforceConflict(f"worker {worker.worker_id} already holds position {pid}")
    if refused := _fillable(worker, community, pid, day):
        return refused
    wid = worker.worker_id
    return (
        WorkerTransferred(
            worker_id=wid, from_position=worker.position_id, position_id=pid, code=pid[:17],
            effective_from=day,
        ),
        PositionVacated(
            code=worker.code, position_id=worker.position_id, worker_id=wid, effective_from=day,
            reason="transferred",
        ),
        PositionFilled(code=pid[:17], position_id=pid, worker_id=wid, effective_from=day),
    )  # fmt: skip


def start_leave(worker: Worker, day: date, until: date | None, reason: str) -> WorkerLeaveStarted:
    _require_status(worker, "assigned", "sent on leave")
    if until is not None and until < day:
        raise WorkforceConflict("a leave cannot end before it starts")
    return WorkerLeaveStarted(
        worker_id=worker.worker_id, effective_from=day, until=until, reason=reason
    )


def end_leave(worker: Worker, day: date) -> WorkerReturned:
    _require_status(worker, "on_leave", "back from leave")
    return WorkerReturned(worker_id=worker.worker_id, effective_from=day)


def depart(worker: Worker, day: date, reason: str) -> tuple[WorkerDeparted, PositionVacated | None]:
    _require_known(worker)
    if worker.status == "departed":
        raise WorkforceConflict(f"worker {worker.worker_id} has already departed")
    wid, pid = worker.worker_id, worker.position_id
    vacated = None
    if pid is not None and worker.code is not None:
        vacated = PositionVacated(
            code=worker.code, position_id=pid, worker_id=wid, effective_from=day,
            reason="departed",
        )  # fmt: skip
    return WorkerDeparted(
        worker_id=wid, position_id=pid, effective_from=day, reason=reason
    ), vacated


def appraise(
    worker: Worker, year: int, result: AppraisalResult, pack: StaffingPack
) -> WorkerAppraised:
    _require_known(worker)
    if year in worker.appraisals:
        raise WorkforceConflict(
            f"worker {worker.worker_id} is already appraised for {year}: {worker.appraisals[year]}"
        )
    return WorkerAppraised(
        worker_id=worker.worker_id, division_code=worker.division_code, year=year, result=result,
        consequence=pack.appraisal[result],
    )  # fmt: skip


def record_pay(worker: Worker, year: int, annual_pay_fen: int) -> PayRecorded:
    _require_known(worker)
    if year in worker.pay:
        raise WorkforceConflict(f"worker {worker.worker_id}'s pay for {year} is already recorded")
    return PayRecorded(
        worker_id=worker.worker_id, division_code=worker.division_code, year=year,
        annual_pay_fen=annual_pay_fen,
    )  # fmt: skip


def qualify(worker: Worker, level: Qualification, day: date) -> QualificationObtained:
    _require_known(worker)
    if level in worker.qualifications:
        raise WorkforceConflict(
            f"worker {worker.worker_id} obtained {level} on {worker.qualifications[level]}:"
            " the same qualification is recorded once"
        )
    serving = worker.code if worker.status in ("assigned", "on_leave") else None
    return QualificationObtained(
        worker_id=worker.worker_id, division_code=worker.division_code, level=level,
        effective_from=day, code=serving,
    )  # fmt: skip


def erase(worker: Worker, reason: str) -> WorkerErased:
    _require_known(worker)
    if worker.erased:
        raise WorkforceConflict(f"worker {worker.worker_id} is already erased")
    return WorkerErased(worker_id=worker.worker_id, reason=reason)


def _position(community: CommunityPositions, pid: str) -> Position:
    if pid not in community.positions:
        raise NotFound(f"no position {pid}")
    return community.positions[pid]


def _fillable(worker: Worker, community: CommunityPositions, pid: str, day: date) -> Refused | None:
    position = _position(community, pid)
    if not position.active_on(day):
        raise WorkforceConflict(f"position {pid} is not authorised on {day}")
    if position.worker_id is not None:
        raise WorkforceConflict(f"position {pid} is filled by {position.worker_id}")
    if worker.division_code[:6] != pid[:6]:
        problem = FieldProblem(
            "position_id",
            f"in district {pid[:6]}; the worker is recruited in {worker.division_code[:6]}",
        )
        return Refused("a worker fills positions of their own district", [problem])
    return None


def _require_known(worker: Worker) -> None:
    if worker.status is None:
        raise NotFound("no such worker")


def _require_status(worker: Worker, wanted: WorkerStatus, doing: str) -> None:
    _require_known(worker)
    if worker.status != wanted:
        assert worker.status is not None
        raise WorkforceConflict(
            f"worker {worker.worker_id} is {worker.status.replace('_', ' ')}: only a worker"
            f" {'in the pool' if wanted == 'pool' else wanted.replace('_', ' ')} can be {doing}"
        )
