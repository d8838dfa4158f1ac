"""Admission events (事项准入, seed 000 §二(五)2), on the case's stream `admission-<id>`; an
admitted matter entering, or exiting, a community's list is recorded on that list's stream
`list-<code>` (lists/events.py): what funding (费随事转) and staffing (人随事转) follow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from services.matters.catalogue.packs import Runway
from shared.eventstore import DomainEvent
from shared.values import Count, Day, Fen, Note, Record, Statement, Title
from shared.workflow import Document

CRITERIA = ("legality", "reasonableness", "necessity", "coordination", "supporting_measures")
# 合法性、合理性、必要性、协同性、配套性 (seed 000 §二(五)2)
CRITERION_NAMES = dict(
    zip(CRITERIA, ("合法性", "合理性", "必要性", "协同性", "配套性"), strict=True)
)
ParticipantKind = Literal["department", "town", "deputy", "community_representative"]
# 区级有关职能部门、镇(街道)、“两代表一委员”、产业型社区代表 (seed 000 §二(五)2)
PARTICIPANT_KINDS: tuple[ParticipantKind, ...] = (
    "department", "town", "deputy", "community_representative",
)  # fmt: skip


class ProposedMatter(Record):
    """One matter the applicant asks communities to take on."""

    name: Title
    runway: Runway
    legal_basis: Statement = Field(description="法律依据")
    scope: Statement = Field(description="工作范围")
    funding_per_year_fen: Fen = Field(description="费随事转: what follows it each year")
    staff: Count = Field(description="人随事转: the staff that follow it")


class Participant(Record):
    kind: ParticipantKind
    name: Title


class Judgement(Record):
    favourable: bool
    reason: Statement = Field(description="Why: recorded with the judgement")


class Outcome(Record):
    item: int
    admitted: bool
    reason: Statement


class Handover(Record):
    """职责交接清单: what passes from the applicant to the undertaking units."""

    name: Title
    objectives: Statement = Field(description="目标任务")
    scope: Statement = Field(description="工作范围")
    service_requirements: Statement = Field(description="服务要求")
    handover_deadline: Day = Field(description="交接期限")
    funding_per_year_fen: Fen = Field(description="工作经费")


class Signature(Record):
    """One unit's signature on a handover list: the applicant, or an undertaking community
    (by its code)."""

    unit: Title
    signed_by: Title


class AdmissionApplied(DomainEvent):
    """A district department or a town applied (审批表 and 申请报告)."""

    event_type = "AdmissionApplied"
    schema_version = 1

    admission_id: str
    division_code: str  # the applicant's
    applicant: Title
    applicant_kind: Literal["department", "town"]
    items: list[ProposedMatter]
    target_communities: list[str]
    documents: list[Document]
    status: str = "applied"


class JointMeetingConvened(DomainEvent):
    """The office convened the joint meeting (联席会议) with its participants."""

    event_type = "JointMeetingConvened"
    schema_version = 1

    admission_id: str
    held_on: date
    participants: list[Participant]
    status: str = "convened"


class ItemJudged(DomainEvent):
    """The meeting judged one item on the five criteria, each with its reason."""

    event_type = "ItemJudged"
    schema_version = 1

    admission_id: str
    item: int
    judgements: dict[str, Judgement]
    status: str  # judging, or judged once every item is


class AdmissionDecided(DomainEvent):
    """The meeting's conclusion (审核结论): each item admitted or rejected, with its reason."""

    event_type = "AdmissionDecided"
    schema_version = 1

    admission_id: str
    outcomes: list[Outcome]
    documents: list[Document]
    status: str  # decided (some admitted) or rejected (none)


class HandoverSigned(DomainEvent):
    """The handover list of an admitted item, signed by the applicant and each undertaking
    unit; the matter enters the target communities' lists from `effective_from`."""

    event_type = "HandoverSigned"
    schema_version = 1

    admission_id: str
    item: int
    matter_id: str
    runway: Runway
    handover: Handover
    signatures: list[Signature]
    effective_from: datetime
    entered: list[str]  # the communities whose list it entered (ended lists are skipped)
    status: str  # handing_over, or handed_over once every admitted item is


class MatterExitRecorded(DomainEvent):
    """准入退出: the matter leaves the lists (on the case's stream; each list has its own)."""

    event_type = "MatterExitRecorded"
    schema_version = 1

    admission_id: str
    matter_id: str
    runway: Runway
    effective_from: datetime
    reason: Note
    stops_from: date  # funding and staff that followed it stop from the next period
    left: list[str]


def admission_stream(admission_id: str) -> str:
    return f"admission-{admission_id}"


ADMISSION_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    AdmissionApplied, JointMeetingConvened, ItemJudged, AdmissionDecided, HandoverSigned,
    MatterExitRecorded,
)  # fmt: skip
