"""Step workflows of public administration, as data: who takes each step, from which status,
with which outcomes and papers. Pure: no I/O.

A workflow (an establishment, a conversion, a matter's admission) is a sequence of steps,
each taken by one office (an actor role), starting from given statuses and ending in an
outcome that sets the next status. `check_step` gives every reason a step cannot be taken now,
and says which step is missing when one is taken out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from shared.errors import FieldProblem
from shared.values import Label, Note, Record, Reference, Title


@dataclass(frozen=True)
class Step:
    name: str
    title: str  # the official name, e.g. 初审
    actor_role: str
    from_status: tuple[str, ...]
    outcomes: dict[str, str]  # outcome → the status it leads to
    required_documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workflow:
    name: str
    first_step: str  # the step that opens a case (its own command), e.g. "proposal"
    steps: tuple[Step, ...]
    # The step that leads out of each status; None: the case has ended.
    next_step: dict[str, str | None]

    @property
    def by_name(self) -> dict[str, Step]:
        return {s.name: s for s in self.steps}

    @property
    def order(self) -> tuple[str, ...]:
        return (self.first_step, *(s.name for s in self.steps))


class Document(Record):
    kind: Label = Field(examples=["info_sheet"])
    title: Title = Field(examples=["基本信息表"])
    reference: Reference = Field(default="", description="File number or URL")


class StepFields(BaseModel):
    """What every recorded step carries (the events of each workflow inherit these)."""

    proposal_id: str
    step: str
    title: str
    actor_role: Label
    outcome: Label
    status: str = Field(description="Where the case stands after this step")
    documents: list[Document] = Field(default_factory=list)
    note: Note = ""


@dataclass(frozen=True)
class StepInput:
    step: str
    actor_role: str
    outcome: str
    documents: list[Document] = field(default_factory=list)
    note: str = ""


def check_step(workflow: Workflow, status: str, given: StepInput) -> list[FieldProblem]:
    """Every reason `given` cannot be taken from `status`: order, office, outcome, papers."""
    step = workflow.by_name.get(given.step)
    if step is None:
        known = ", ".join(s.name for s in workflow.steps)
        return [FieldProblem("step", f"unknown step; one of: {known}")]
    if status not in step.from_status:
        return [FieldProblem("step", out_of_order(workflow, status, step))]
    problems = []
    if given.actor_role != step.actor_role:
        problems.append(
            FieldProblem("actor_role", f"{step.title} ({step.name}) is taken by {step.actor_role}")
        )
    if given.outcome not in step.outcomes:
        problems.append(
            FieldProblem("outcome", f"{step.name} ends in one of: {', '.join(step.outcomes)}")
        )
    problems += missing_documents(step.required_documents, given.documents, step.name)
    return problems


def missing_documents(
    required: tuple[str, ...], documents: list[Document], what: str
) -> list[FieldProblem]:
    kinds = {d.kind for d in documents}
    missing = [k for k in required if k not in kinds]
    return [FieldProblem("documents", f"{what} needs: {', '.join(missing)}")] if missing else []


def out_of_order(workflow: Workflow, status: str, step: Step) -> str:
    """Say which step is missing before `step`, or that the case has ended."""
    waiting_for = workflow.next_step[status]
    order = workflow.order
    if waiting_for is None:
        return f"the proposal is {status}: no further step can be taken"
    if order.index(step.name) < order.index(waiting_for):
        return f"{step.name} was already taken; the proposal now waits for {waiting_for}"
    missing = order[order.index(waiting_for) : order.index(step.name)]
    return f"{step.name} cannot be taken yet: missing step(s) {', '.join(missing)}"
