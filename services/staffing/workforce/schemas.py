"""What the position and worker routes take and answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.staffing.quota.packs import AppraisalResult
from services.staffing.workforce.events import Qualification
from services.staffing.workforce.ids import POSITION_PATTERN
from shared.values import Day, DivisionCode, Fen, Label, Name, Reference, Text, Year

IdNumber = Annotated[
    str, Text(r"^[1-9][0-9]{16}[0-9X]$", 18, 18, "17 digits and a digit or X (GB 11643)")
]
PositionRef = Annotated[str, Text(f"^{POSITION_PATTERN}$", 21, 21, "a position id")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthorisePositionRequest(_Request):
    post: Label = Field(description="A post of the pack's catalogue, e.g. grid_worker")
    effective_from: Day


class AbolishPositionRequest(_Request):
    effective_from: Day
    reason: Reference = ""


class RecruitWorkerRequest(_Request):
    division_code: DivisionCode = Field(description="The division whose reserve pool they join")
    name: Name
    id_number: IdNumber
    effective_from: Day


class PlaceWorkerRequest(_Request):
    position_id: PositionRef
    effective_from: Day


class StartLeaveRequest(_Request):
    effective_from: Day
    until: Day | None = None
    reason: Reference = ""


class EndLeaveRequest(_Request):
    effective_from: Day


class DepartWorkerRequest(_Request):
    effective_from: Day
    reason: Reference = ""


class AppraiseWorkerRequest(_Request):
    year: Year
    result: AppraisalResult


class RecordPayRequest(_Request):
    year: Year
    annual_pay_fen: Fen = Field(description="The year's pay in fen (integer)")


class RecordQualificationRequest(_Request):
    level: Qualification
    effective_from: Day


class PositionView(BaseModel):
    position_id: str
    post: str
    post_name: str | None
    effective_from: date
    abolished_from: date | None
    worker_id: str | None
    state: Literal["vacant", "filled", "abolished", "not_yet_effective"]


class CommunityPositionsView(BaseModel):
    code: str
    quota: int | None
    authorised: int = Field(description="Positions in effect on the day")
    filled: int
    vacant: int
    on: date = Field(description="The day the counts are for")
    positions: list[PositionView]
    version: int


class AppraisalView(BaseModel):
    year: int
    result: AppraisalResult
    consequence: str


class PayView(BaseModel):
    year: int
    annual_pay_fen: int
    floor_fen: int | None = Field(description="The pack's pay floor; null: none, or no figure")
    below_floor: bool = Field(
        description="This pay is a finding (never when the floor"
        " bounds the district's average: see the district's pay_averages)"
    )
    floor_rule: str | None
    floor_measured_on: Literal["each_worker", "district_average"] = "each_worker"


class QualificationView(BaseModel):
    level: Qualification
    effective_from: date


class WorkerView(BaseModel):
    """A worker, pseudonymous: what a command answers and a list shows."""

    worker_id: str
    division_code: str
    status: Literal["pool", "assigned", "on_leave", "departed"]
    position_id: str | None
    code: str | None
    recruited_on: date | None
    erased: bool
    version: int


class WorkerRecord(WorkerView):
    """A worker's full record: read only with a stated purpose (X-Purpose), and audited."""

    name: str | None = Field(description="null unless personal_data is readable")
    id_number: str | None = Field(description="null unless personal_data is readable")
    personal_data: Literal["readable", "erased", "unreadable"] = Field(
        description="erased: the worker's key was destroyed (wuding staffing erase-worker);"
        " unreadable: the stored key does not open the sealed fields (tampering or a restore"
        " that mixed keys and events), logged for the operators"
    )
    appraisals: list[AppraisalView]
    pay: list[PayView]
    qualifications: list[QualificationView]


class WorkerPage(BaseModel):
    items: list[WorkerView]
    next_cursor: str | None
