"""Admission decisions (workflow.py for the steps): each takes the command and the folded case
and returns the events, or Refused with every reason. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from services.matters.admission.events import (
    CRITERIA,
    CRITERION_NAMES,
    PARTICIPANT_KINDS,
    AdmissionApplied,
    AdmissionDecided,
    Handover,
    HandoverSigned,
    ItemJudged,
    JointMeetingConvened,
    Judgement,
    MatterExitRecorded,
    Outcome,
    Participant,
    ProposedMatter,
    Signature,
)
from services.matters.admission.workflow import (
    APPLICATION_DOCUMENTS,
    Admission,
    matter_id_of,
    step_problem,
)
from services.matters.lists.decide import CommunityList
from services.matters.lists.events import ListedMatter, MatterAdmitted, MatterExited
from shared.errors import FieldProblem
from shared.pipeline import Refused
from shared.values import BEIJING
from shared.workflow import Document, missing_documents


@dataclass(frozen=True)
class Apply:
    command_type = "ApplyForAdmission"
    division_code: str
    applicant: str
    applicant_kind: Literal["department", "town"]
    items: list[ProposedMatter]
    target_communities: list[str]
    documents: list[Document]


@dataclass(frozen=True)
class Convene:
    command_type = "ConveneJointMeeting"
    admission_id: str
    held_on: date
    participants: list[Participant]


@dataclass(frozen=True)
class Judge:
    command_type = "JudgeItem"
    admission_id: str
    item: int
    judgements: dict[str, Judgement]


@dataclass(frozen=True)
class Decide:
    command_type = "DecideAdmission"
    admission_id: str
    documents: list[Document]


@dataclass(frozen=True)
class SignHandover:
    command_type = "SignHandover"
    admission_id: str
    item: int
    handover: Handover
    signatures: list[Signature]
    effective_from: date | None = None


@dataclass(frozen=True)
class ExitMatter:
    command_type = "ExitMatter"
    matter_id: str
    reason: str
    effective_from: date | None = None


def from_day(day: date | None, now: datetime) -> datetime:
    """The start of `day` in Beijing, never before now: a list never changes in the past (a
    push already decided stays decided)."""
    if day is None:
        return now
    return max(datetime.combine(day, time(), BEIJING), now)


def applied(
    cmd: Apply, admission_id: str, lists: dict[str, CommunityList], now: datetime
) -> AdmissionApplied | Refused:
    problems = missing_documents(APPLICATION_DOCUMENTS, cmd.documents, "an application")
    district = cmd.division_code[:6]
    for i, code in enumerate(cmd.target_communities):
        where = f"target_communities[{i}]"
        if code[:6] != district:
            problems.append(FieldProblem(where, f"{code} is outside the applicant's district"))
        elif code not in lists or not lists[code].is_open(now):
            problems.append(FieldProblem(where, f"matters holds no open list for {code}"))
    if len(set(cmd.target_communities)) != len(cmd.target_communities):
        problems.append(FieldProblem("target_communities", "a community is named twice"))
    if problems:
        return Refused("the application cannot be filed", problems)
    return AdmissionApplied(
        admission_id=admission_id, division_code=cmd.division_code, applicant=cmd.applicant,
        applicant_kind=cmd.applicant_kind, items=cmd.items,
        target_communities=cmd.target_communities, documents=cmd.documents,
    )  # fmt: skip


def convened(cmd: Convene, case: Admission) -> JointMeetingConvened | Refused:
    if problems := step_problem(case.status, "meeting"):
        return Refused("the joint meeting cannot be recorded", problems)
    present = {p.kind for p in cmd.participants}
    if missing := [k for k in PARTICIPANT_KINDS if k not in present]:
        problem = FieldProblem(
            "participants",
            f"the joint meeting has no {', '.join(missing)} (seed 000 §二(五)2: 区级有关职能部门、"
            "镇(街道)、“两代表一委员”、社区代表)",
        )
        return Refused("the joint meeting cannot be recorded", [problem])
    return JointMeetingConvened(
        admission_id=cmd.admission_id, held_on=cmd.held_on, participants=cmd.participants
    )


def _item_problem(case: Admission, item: int) -> list[FieldProblem]:
    assert case.applied is not None
    count = len(case.applied.items)
    if not 1 <= item <= count:
        return [FieldProblem("item", f"the application has items 1 to {count}")]
    return []


def judged(cmd: Judge, case: Admission) -> ItemJudged | Refused:
    problems = step_problem(case.status, "judgement") or _item_problem(case, cmd.item)
    if not problems and cmd.item in case.judged:
        problems = [FieldProblem("item", f"item {cmd.item} was already judged")]
    if missing := [c for c in CRITERIA if c not in cmd.judgements]:
        names = ", ".join(f"{c} ({CRITERION_NAMES[c]})" for c in missing)
        problems.append(FieldProblem("judgements", f"each criterion needs a judgement: {names}"))
    if unknown := sorted(set(cmd.judgements) - set(CRITERIA)):
        problems.append(FieldProblem("judgements", f"unknown criteria: {', '.join(unknown)}"))
    if problems:
        return Refused("the item cannot be judged", problems)
    assert case.applied is not None
    done = len(case.judged) + 1 == len(case.applied.items)
    return ItemJudged(
        admission_id=cmd.admission_id, item=cmd.item,
        judgements={c: cmd.judgements[c] for c in CRITERIA},
        status="judged" if done else "judging",
    )  # fmt: skip


def decided(cmd: Decide, case: Admission) -> AdmissionDecided | Refused:
    """An item is admitted only when all five criteria are judged favourable."""
    problems = step_problem(case.status, "decision")
    problems = problems or missing_documents(("meeting_minutes",), cmd.documents, "a decision")
    if problems:
        return Refused("the admission cannot be decided", problems)
    outcomes = []
    for item, judgement in sorted(case.judged.items()):
        against = [CRITERION_NAMES[c] for c, j in judgement.judgements.items() if not j.favourable]
        reason = "五项审核均通过" if not against else f"未通过: {'、'.join(against)}"
        outcomes.append(Outcome(item=item, admitted=not against, reason=reason))
    return AdmissionDecided(
        admission_id=cmd.admission_id, outcomes=outcomes, documents=cmd.documents,
        status="decided" if any(o.admitted for o in outcomes) else "rejected",
    )  # fmt: skip


def _listed(proposed: ProposedMatter, matter_id: str) -> ListedMatter:
    return ListedMatter(
        matter_id=matter_id, name=proposed.name, runway=proposed.runway, basis="admitted"
    )


def handover_signed(
    cmd: SignHandover, case: Admission, lists: dict[str, CommunityList], now: datetime
) -> tuple[HandoverSigned, list[MatterAdmitted]] | Refused:
    """The signed handover list: the matter enters every target list still open."""
    problems = step_problem(case.status, "handover") or _item_problem(case, cmd.item)
    assert case.applied is not None
    applied_case = case.applied
    if not problems and cmd.item not in case.admitted_items():
        problems = [FieldProblem("item", f"item {cmd.item} was not admitted")]
    elif not problems and cmd.item in case.handed_over:
        problems = [FieldProblem("item", f"item {cmd.item} was already handed over")]
    units = {s.unit for s in cmd.signatures}
    needed = [applied_case.applicant, *applied_case.target_communities]
    if missing := [u for u in needed if u not in units]:
        problems.append(
            FieldProblem("signatures", f"the handover list is not signed by: {', '.join(missing)}")
        )
    if problems:
        return Refused("the handover list cannot be recorded", problems)
    proposed = applied_case.items[cmd.item - 1]
    if cmd.handover.funding_per_year_fen != proposed.funding_per_year_fen:
        problem = FieldProblem(
            "handover.funding_per_year_fen",
            f"the admitted funding is {proposed.funding_per_year_fen} fen a year",
        )
        return Refused("the handover list cannot be recorded", [problem])
    at = from_day(cmd.effective_from, now)
    matter_id = matter_id_of(cmd.admission_id, cmd.item)
    entered = [c for c in applied_case.target_communities if lists[c].is_open(at)]
    rest = set(case.admitted_items()) - set(case.handed_over) - {cmd.item}
    signed = HandoverSigned(
        admission_id=cmd.admission_id, item=cmd.item, matter_id=matter_id,
        runway=proposed.runway, handover=cmd.handover, signatures=cmd.signatures,
        effective_from=at, entered=entered, status="handing_over" if rest else "handed_over",
    )  # fmt: skip
    admitted = [
        MatterAdmitted(
            code=code, division_code=code[:12], matter=_listed(proposed, matter_id),
            admission_id=cmd.admission_id, department=applied_case.applicant,
            effective_from=at, funding_per_year_fen=proposed.funding_per_year_fen,
            staff=proposed.staff,
        )
        for code in entered
    ]  # fmt: skip
    return signed, admitted


def exit_recorded(
    cmd: ExitMatter, case: Admission, item: int, lists: dict[str, CommunityList], now: datetime
) -> tuple[MatterExitRecorded, list[MatterExited]] | Refused:
    """准入退出: the matter leaves every list it is on; funding and staff stop next year."""
    signed = case.handed_over.get(item)
    if signed is None:
        problem = FieldProblem("matter_id", f"{cmd.matter_id} has not entered any list")
        return Refused("the matter cannot exit", [problem])
    if item in case.exited:
        since = case.exited[item].effective_from.isoformat()
        problem = FieldProblem("matter_id", f"{cmd.matter_id} already exited from {since}")
        return Refused("the matter cannot exit", [problem])
    at = max(from_day(cmd.effective_from, now), signed.effective_from)
    stops_from = date(at.astimezone(BEIJING).year + 1, 1, 1)
    left = [c for c in signed.entered if lists[c].entries.get(cmd.matter_id) is not None]
    recorded = MatterExitRecorded(
        admission_id=signed.admission_id, matter_id=cmd.matter_id, runway=signed.runway,
        effective_from=at, reason=cmd.reason, stops_from=stops_from, left=left,
    )  # fmt: skip
    exited = [
        MatterExited(
            code=code, division_code=code[:12], matter_id=cmd.matter_id, runway=signed.runway,
            admission_id=signed.admission_id, effective_from=at, reason=cmd.reason,
            stops_from=stops_from,
        )
        for code in left
    ]  # fmt: skip
    return recorded, exited
