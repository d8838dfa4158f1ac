"""Position control and the workforce (定岗位员额, seed 004 §四, seed 000 §二(四)).

Positions live on the community's stream (`community-<code>`, beside its quota), so an
authorisation is decided against the quota it read and a fill against the position it read:
the stream's version makes both safe under concurrency. Workers have a stream of their own
(`worker-<id>`); assigning, transferring and departing append to the worker's and the
community's streams together. A worker id is pseudonymous (`<division>-<12 hex>`): the name and
identity number travel only sealed (shared/personal_data.py), in WorkerRecruited.
Every event carries the day it takes effect (`effective_from`), which may differ from the day
it was recorded.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from services.staffing.quota.packs import AppraisalResult
from shared.eventstore import DomainEvent
from shared.personal_data import Sealed
from shared.values import CommunityCode, Count, Day, DivisionCode, Fen, Label, Reference, Year

Qualification = Literal["senior_social_worker", "social_worker", "assistant_social_worker"]


class PositionAuthorised(DomainEvent):
    """A position of the post catalogue exists in the community, within its quota."""

    event_type = "PositionAuthorised"
    is_decision: ClassVar[bool] = True

    code: CommunityCode
    division_code: DivisionCode
    position_id: str
    post: Label
    effective_from: Day
    quota: Count  # the quota it was authorised against
    authorised: Count  # the community's positions with this one


class PositionAbolished(DomainEvent):
    event_type = "PositionAbolished"

    code: CommunityCode
    position_id: str
    effective_from: Day
    reason: Reference


class PositionFilled(DomainEvent):
    event_type = "PositionFilled"

    code: CommunityCode
    position_id: str
    worker_id: str
    effective_from: Day


class PositionVacated(DomainEvent):
    event_type = "PositionVacated"

    code: CommunityCode
    position_id: str
    worker_id: str
    effective_from: Day
    reason: Literal["transferred", "departed"]


class WorkerRecruited(DomainEvent):
    """A worker joined the reserve pool (蓄水池) of a division; name and ID number sealed."""

    event_type = "WorkerRecruited"

    worker_id: str
    division_code: DivisionCode
    effective_from: Day
    personal: Sealed


class WorkerAssigned(DomainEvent):
    event_type = "WorkerAssigned"

    worker_id: str
    position_id: str
    code: CommunityCode
    effective_from: Day


class WorkerTransferred(DomainEvent):
    event_type = "WorkerTransferred"

    worker_id: str
    from_position: str
    position_id: str
    code: CommunityCode
    effective_from: Day


class WorkerLeaveStarted(DomainEvent):
    """On leave the worker keeps the position: it is filled, not vacant."""

    event_type = "WorkerLeaveStarted"

    worker_id: str
    effective_from: Day
    until: Day | None
    reason: Reference


class WorkerReturned(DomainEvent):
    event_type = "WorkerReturned"

    worker_id: str
    effective_from: Day


class WorkerDeparted(DomainEvent):
    event_type = "WorkerDeparted"

    worker_id: str
    position_id: str | None
    effective_from: Day
    reason: Reference


class WorkerAppraised(DomainEvent):
    """The yearly appraisal and its consequence under the pack (seed 000 §二(四)4)."""

    event_type = "WorkerAppraised"
    is_decision: ClassVar[bool] = True

    worker_id: str
    division_code: DivisionCode
    year: Year
    result: AppraisalResult
    consequence: str


class PayRecorded(DomainEvent):
    event_type = "PayRecorded"

    worker_id: str
    division_code: DivisionCode
    year: Year
    annual_pay_fen: Fen


class QualificationObtained(DomainEvent):
    """A social work qualification: the funding service pays its one-off bonus."""

    event_type = "QualificationObtained"

    worker_id: str
    division_code: DivisionCode
    level: Qualification
    effective_from: Day
    # The community the worker serves on that day (None: in the reserve pool, or departed);
    # recorded since the funding service pays the bonus through the community's lines.
    code: CommunityCode | None = None


class WorkerErased(DomainEvent):
    """The worker's data key was destroyed: their sealed name and ID number are unreadable."""

    event_type = "WorkerErased"

    worker_id: str
    reason: Reference


def worker_stream(worker_id: str) -> str:
    return f"worker-{worker_id}"


POSITION_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    PositionAuthorised, PositionAbolished, PositionFilled, PositionVacated,
)  # fmt: skip
WORKER_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    WorkerRecruited, WorkerAssigned, WorkerTransferred, WorkerLeaveStarted, WorkerReturned,
    WorkerDeparted, WorkerAppraised, PayRecorded, QualificationObtained, WorkerErased,
)  # fmt: skip
