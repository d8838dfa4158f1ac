"""事项准入 (seed 000 §二(五)2) as the kernel's workflow, and a case folded from its stream.
Pure: no I/O.

    application (a district department or a town: 审批表, 申请报告, each matter's legal basis,
                 scope, target communities, funding per year and staff)
      → meeting   (the office convenes the 联席会议: departments, towns, 两代表一委员,
                   community representatives)
      → judgement (each item judged on 合法性、合理性、必要性、协同性、配套性, each with its reason)
      → decision  (审核结论: an item is admitted only when all five are favourable)
      → handover  (职责交接清单 per admitted item, signed by the applicant and every undertaking
                   community: the matter enters their lists from a date)

A matter admitted this way is `<admission id in capitals>.<item>`, e.g.
330211000000-1A2B3C4D.1; its exit (准入退出) is a command on the matter (handlers.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from services.matters.admission.events import (
    AdmissionApplied,
    AdmissionDecided,
    HandoverSigned,
    ItemJudged,
    JointMeetingConvened,
    MatterExitRecorded,
)
from shared.errors import FieldProblem, ValidationFailed
from shared.eventstore import DomainEvent
from shared.workflow import Step, Workflow, out_of_order

ADMISSION = Workflow(
    name="admission",
    first_step="application",
    steps=(
        Step("meeting", "召开联席会议", "community_office", ("applied",), {"convened": "convened"}),
        Step("judgement", "逐项审核", "joint_meeting", ("convened", "judging"),
             {"judged": "judging"}),
        Step("decision", "审核结论", "joint_meeting", ("judged",),
             {"admitted": "decided", "rejected": "rejected"}, ("meeting_minutes",)),
        Step("handover", "签订职责交接清单", "applicant", ("decided", "handing_over"),
             {"signed": "handing_over"}),
    ),
    next_step={
        "applied": "meeting", "convened": "judgement", "judging": "judgement",
        "judged": "decision", "decided": "handover", "handing_over": "handover",
        "handed_over": None, "rejected": None,
    },
)  # fmt: skip

APPLICATION_DOCUMENTS = ("approval_form", "application_report")  # 审批表, 申请报告

# Every status a case can be in (the keys of next_step; a unit test pins it).
AdmissionStatus = Literal[
    "applied", "convened", "judging", "judged", "decided", "handing_over", "handed_over",
    "rejected",
]  # fmt: skip

ADMISSION_ID_PATTERN = r"[0-9]{12}-[0-9a-f]{8}"
ADMITTED_MATTER_PATTERN = r"[0-9]{12}-[0-9A-F]{8}\.[0-9]{1,2}"


def require_admission_id(admission_id: str) -> str:
    if not re.fullmatch(ADMISSION_ID_PATTERN, admission_id):
        raise ValidationFailed(
            "not an admission id",
            errors=[FieldProblem("admission_id", "12-digit division code, '-', 8 hex digits")],
        )
    return admission_id


def require_admitted_matter(matter_id: str) -> str:
    if not re.fullmatch(ADMITTED_MATTER_PATTERN, matter_id):
        raise ValidationFailed(
            "not an admitted matter",
            errors=[
                FieldProblem(
                    "matter_id",
                    "an admitted matter: <12-digit division>-<8 HEX>.<item>; the basic"
                    " functions of a community type leave the list only with its type",
                )
            ],
        )
    return matter_id


def matter_id_of(admission_id: str, item: int) -> str:
    return f"{admission_id.upper()}.{item}"


def admission_of(matter_id: str) -> tuple[str, int]:
    case, item = matter_id.rsplit(".", 1)
    return case.lower(), int(item)


def step_problem(status: str, step: str) -> list[FieldProblem]:
    """The out-of-order refusal naming the missing step, or nothing."""
    taken = ADMISSION.by_name[step]
    if status in taken.from_status:
        return []
    return [FieldProblem("step", out_of_order(ADMISSION, status, taken))]


@dataclass
class Admission:
    """A case's stream `admission-<id>`, folded."""

    applied: AdmissionApplied | None = None
    status: str = "applied"
    meeting: JointMeetingConvened | None = None
    judged: dict[int, ItemJudged] = field(default_factory=dict)
    decided: AdmissionDecided | None = None
    handed_over: dict[int, HandoverSigned] = field(default_factory=dict)
    exited: dict[int, MatterExitRecorded] = field(default_factory=dict)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, AdmissionApplied):
            self.applied = event
        elif isinstance(event, JointMeetingConvened):
            self.meeting = event
        elif isinstance(event, ItemJudged):
            self.judged[event.item] = event
        elif isinstance(event, AdmissionDecided):
            self.decided = event
        elif isinstance(event, HandoverSigned):
            self.handed_over[event.item] = event
        elif isinstance(event, MatterExitRecorded):
            self.exited[admission_of(event.matter_id)[1]] = event
        status = getattr(event, "status", None)
        if status is not None:
            self.status = status

    def targets(self) -> list[str]:
        return self.applied.target_communities if self.applied is not None else []

    def admitted_items(self) -> list[int]:
        if self.decided is None:
            return []
        return [o.item for o in self.decided.outcomes if o.admitted]
