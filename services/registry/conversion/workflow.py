"""撤村建居: converting a village community into an urban one (seed 002 §三). Pure: no I/O.

    proposal (镇街综合研判提出方案, the town: only a village that set up its collective economic
              organisation and quantified its assets, or one wholly demolished, which must convert)
      → consent (户代表会议 or another villagers' meeting: consented by a majority | refused)
      → civil_affairs_review (新城人社民政局复审: pass | reject)
      → approval (新城管委会批准: the village community ends; its urban successor gets a new
                  code, linked both ways; "xx村村民委员会" becomes "xx社区居民委员会")
      → filing (同步报新区人社民政局备案)

A change of major type is a new community with a new code (DOMAIN.md §1), never an edit of
the old one: the code is an identity for life.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.registry.conversion.events import ConversionProposed, ConversionStepRecorded
from shared.errors import FieldProblem
from shared.eventstore import DomainEvent
from shared.workflow import Step, StepInput, Workflow, check_step

CONVERSION = Workflow(
    name="conversion",
    first_step="proposal",
    steps=(
        Step("consent", "户代表会议讨论同意", "villagers_meeting", ("proposed",),
             {"consented": "consented", "refused": "terminated"}, ("meeting_minutes",)),
        Step("civil_affairs_review", "人社民政局复审", "civil_affairs", ("consented",),
             {"pass": "reviewed", "reject": "terminated"}),
        Step("approval", "管委会批准", "management_committee", ("reviewed",),
             {"approved": "approved"}, ("approval_document",)),
        Step("filing", "新区人社民政局备案", "new_area_civil_affairs", ("approved",),
             {"filed": "filed"}),
    ),
    next_step={
        "proposed": "consent", "consented": "civil_affairs_review", "reviewed": "approval",
        "approved": "filing", "filed": None, "terminated": None,
    },
)  # fmt: skip


CONVERSION_DOCUMENTS = ("conversion_plan",)  # 方案


# Every status a proposal can be in (the keys of the workflow's next_step; a unit test pins
# it): the list filter accepts exactly these.
ConversionStatus = Literal["proposed", "consented", "reviewed", "approved", "filed", "terminated"]


def conversion_stream(proposal_id: str) -> str:
    return f"conversion-{proposal_id}"


def successor_name(village_name: str) -> str:
    """勤勇村 → 勤勇社区."""
    return village_name.removesuffix("村") + "社区"


def villagers_committee_name(village_name: str) -> str:
    return f"{village_name}村民委员会"


def renamed_committee(committee_name: str) -> str:
    """ "xx街道(镇)xx村村民委员会" → "xx街道(镇)xx社区居民委员会" (seed 002 §三(二))."""
    stem = committee_name.removesuffix("村民委员会")
    return stem.removesuffix("村") + "社区居民委员会"


@dataclass
class Conversion:
    proposed: ConversionProposed | None = None
    status: str = "proposed"
    successor_code: str | None = None

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, ConversionProposed):
            self.proposed = event
        elif isinstance(event, ConversionStepRecorded):
            self.status = event.status
            self.successor_code = event.successor_code or self.successor_code


@dataclass(frozen=True)
class ConversionStep(StepInput):
    votes_for: int | None = None
    votes_total: int | None = None


def check_eligibility(
    major_type: str, status: str, collective_assets_quantified: bool, fully_demolished: bool
) -> list[FieldProblem]:
    problems = []
    if major_type != "rural" or status != "active":
        problems.append(FieldProblem("code", "only an active village (rural) community converts"))
    if not (collective_assets_quantified or fully_demolished):
        problems.append(
            FieldProblem(
                "collective_assets_quantified",
                "a village converts once its collective economic organisation is set up and its"
                " assets quantified, or when wholly demolished (seed 002 §三(一))",
            )
        )
    return problems


def check_conversion_step(conversion: Conversion, given: ConversionStep) -> list[FieldProblem]:
    problems = check_step(CONVERSION, conversion.status, given)
    if problems and problems[0].field == "step":
        return problems
    if given.step == "consent":
        if given.votes_for is None or not given.votes_total:
            problems.append(FieldProblem("votes_total", "the meeting's votes for and total"))
        elif given.votes_for > given.votes_total:
            problems.append(FieldProblem("votes_for", "more votes for than votes cast"))
        elif given.outcome == "consented" and 2 * given.votes_for <= given.votes_total:
            problems.append(
                FieldProblem(
                    "votes_for",
                    f"{given.votes_for} of {given.votes_total} is no majority: not consented",
                )
            )
    return problems
