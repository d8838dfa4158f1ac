"""事项准入 decisions, pure (services/matters/admission): the workflow's order, the five-criteria
rule, handovers and exits in time. The same flow through the gateway and the topic:
tests/e2e/test_matters_admission.py."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.matters.admission import decide
from services.matters.admission.events import (
    CRITERIA,
    AdmissionApplied,
    AdmissionDecided,
    Handover,
    HandoverSigned,
    ItemJudged,
    JointMeetingConvened,
    Judgement,
    Outcome,
    Participant,
    ProposedMatter,
    Signature,
)
from services.matters.admission.workflow import (
    ADMISSION,
    Admission,
    AdmissionStatus,
    admission_of,
    matter_id_of,
)
from services.matters.lists.decide import CommunityList, Entry
from services.matters.lists.events import ListedMatter
from shared.pipeline import Refused
from shared.workflow import Document

pytestmark = pytest.mark.unit

CASE = "330211001001-0a1b2c3d"
CODES = ["33021100100110003", "33021100100110004"]
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
APPLICANT = "镇海区应急管理局"


def proposed(n: int) -> ProposedMatter:
    return ProposedMatter(
        name=f"事项{n}", runway="平安法治", legal_basis="法律依据", scope="工作范围",
        funding_per_year_fen=100_000 * n, staff=1,
    )  # fmt: skip


def case_with(items: int, status: str = "applied") -> Admission:
    case = Admission()
    case.apply(
        AdmissionApplied(
            admission_id=CASE, division_code=CASE[:12], applicant=APPLICANT,
            applicant_kind="department", items=[proposed(n) for n in range(1, items + 1)],
            target_communities=CODES, documents=[],
        )
    )  # fmt: skip
    case.status = status
    return case


def verdict(favourable: bool) -> Judgement:
    return Judgement(favourable=favourable, reason="理由充分" if favourable else "理由不足")


def open_lists() -> dict[str, CommunityList]:
    return {
        c: CommunityList(code=c, division_code=c[:12], opened_at=datetime(2026, 1, 1, tzinfo=UTC))
        for c in CODES
    }


def test_the_status_filter_takes_exactly_the_workflows_statuses() -> None:
    assert set(typing.get_args(AdmissionStatus)) == set(ADMISSION.next_step)


def test_a_step_out_of_order_names_the_missing_steps() -> None:
    refused = decide.decided(decide.Decide(CASE, []), case_with(1))
    assert isinstance(refused, Refused)
    assert "missing step(s) meeting, judgement" in refused.problems[0].reason
    judged = decide.judged(decide.Judge(CASE, 1, {}), case_with(1, "decided"))
    assert isinstance(judged, Refused)
    assert "already taken" in judged.problems[0].reason


def test_a_meeting_needs_every_kind_of_participant() -> None:
    cmd = decide.Convene(CASE, date(2026, 11, 20), [])
    refused = decide.convened(cmd, case_with(1))
    assert isinstance(refused, Refused)
    assert "department, town, deputy, community_representative" in refused.problems[0].reason


@given(st.lists(st.lists(st.booleans(), min_size=5, max_size=5), min_size=1, max_size=6))
def test_an_item_is_admitted_exactly_when_all_five_criteria_are_favourable(
    verdicts: list[list[bool]],
) -> None:
    case = case_with(len(verdicts), "convened")
    for n, row in enumerate(verdicts, start=1):
        judged = decide.judged(
            decide.Judge(CASE, n, {c: verdict(v) for c, v in zip(CRITERIA, row, strict=True)}),
            case,
        )
        assert isinstance(judged, ItemJudged)
        assert judged.status == ("judged" if n == len(verdicts) else "judging")
        case.apply(judged)
    decided = decide.decided(
        decide.Decide(CASE, [Document(kind="meeting_minutes", title="纪要")]), case
    )
    assert not isinstance(decided, Refused)
    assert [o.admitted for o in decided.outcomes] == [all(row) for row in verdicts]
    assert decided.status == ("decided" if any(map(all, verdicts)) else "rejected")
    assert all(("未通过" in o.reason) != o.admitted for o in decided.outcomes)


def _handed_over(case: Admission, day: date | None) -> HandoverSigned:
    handover = Handover(
        name="交接", objectives="目标", scope="范围", service_requirements="要求",
        handover_deadline=date(2027, 1, 31), funding_per_year_fen=100_000,
    )  # fmt: skip
    signatures = [Signature(unit=u, signed_by="经办人") for u in (APPLICANT, *CODES)]
    done = decide.handover_signed(
        decide.SignHandover(CASE, 1, handover, signatures, day), case, open_lists(), NOW
    )
    assert not isinstance(done, Refused)
    signed, admitted = done
    assert [a.code for a in admitted] == CODES and signed.entered == CODES
    assert {a.funding_per_year_fen for a in admitted} == {100_000}
    return signed


def test_a_handover_never_takes_effect_in_the_past_and_an_exit_stops_next_year() -> None:
    case = case_with(1, "decided")
    case.judged[1] = ItemJudged(
        admission_id=CASE, item=1, judgements={c: verdict(True) for c in CRITERIA},
        status="judged",
    )  # fmt: skip
    case.apply(
        AdmissionDecided(
            admission_id=CASE, outcomes=[Outcome(item=1, admitted=True, reason="通过")],
            documents=[], status="decided",
        )
    )  # fmt: skip
    signed = _handed_over(case, date(2020, 1, 1))
    assert signed.effective_from == NOW and signed.matter_id == matter_id_of(CASE, 1)
    assert admission_of(signed.matter_id) == (CASE, 1)
    case.apply(signed)
    # 2026-12-31 17:00 UTC is 2027-01-01 01:00 in Beijing: the next period is 2028.
    late = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    lists = open_lists()
    for state in lists.values():
        state.entries[signed.matter_id] = decide_entry(signed)
    done = decide.exit_recorded(
        decide.ExitMatter(signed.matter_id, "职能调整"), case, 1, lists, late
    )
    assert not isinstance(done, Refused)
    recorded, exited = done
    assert recorded.stops_from == date(2028, 1, 1) and [e.code for e in exited] == CODES
    case.apply(recorded)
    again = decide.exit_recorded(decide.ExitMatter(signed.matter_id, "再次"), case, 1, lists, late)
    assert isinstance(again, Refused) and "already exited" in again.problems[0].reason


def decide_entry(signed: HandoverSigned) -> Entry:
    matter = ListedMatter(
        matter_id=signed.matter_id, name="事项1", runway="平安法治", basis="admitted"
    )
    return Entry(matter, signed.effective_from, admission_id=CASE)


def test_a_meeting_with_everyone_is_convened() -> None:
    kinds = ("department", "town", "deputy", "community_representative")
    people = [Participant(kind=k, name=f"代表{i}") for i, k in enumerate(kinds)]
    met = decide.convened(decide.Convene(CASE, date(2026, 11, 20), people), case_with(1))
    assert isinstance(met, JointMeetingConvened) and met.status == "convened"
