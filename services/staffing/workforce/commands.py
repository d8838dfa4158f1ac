"""Position control and workforce commands: what a district system asks staffing to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from services.staffing.quota.packs import AppraisalResult
from services.staffing.workforce.events import Qualification


@dataclass(frozen=True)
class AuthorisePosition:
    command_type: ClassVar[str] = "AuthorisePosition"  # stable: the metadata's `command`
    code: str
    post: str
    effective_from: date


@dataclass(frozen=True)
class AbolishPosition:
    command_type: ClassVar[str] = "AbolishPosition"
    position_id: str
    effective_from: date
    reason: str


@dataclass(frozen=True)
class RecruitWorker:
    """Name and ID number exist here and, sealed, in the event; nowhere else."""

    command_type: ClassVar[str] = "RecruitWorker"
    division_code: str
    name: str
    id_number: str
    effective_from: date

    def __repr__(self) -> str:  # never the personal fields, whoever logs the command
        return f"RecruitWorker(division_code={self.division_code!r}, name=…, id_number=…)"


@dataclass(frozen=True)
class PlaceWorker:
    """Assign from the pool (`transfer` False) or transfer an assigned worker to a vacancy."""

    worker_id: str
    position_id: str
    effective_from: date
    transfer: bool = False

    @property
    def command_type(self) -> str:
        return "TransferWorker" if self.transfer else "AssignWorker"


@dataclass(frozen=True)
class StartLeave:
    command_type: ClassVar[str] = "StartLeave"
    worker_id: str
    effective_from: date
    until: date | None
    reason: str


@dataclass(frozen=True)
class EndLeave:
    command_type: ClassVar[str] = "EndLeave"
    worker_id: str
    effective_from: date


@dataclass(frozen=True)
class DepartWorker:
    command_type: ClassVar[str] = "DepartWorker"
    worker_id: str
    effective_from: date
    reason: str


@dataclass(frozen=True)
class AppraiseWorker:
    command_type: ClassVar[str] = "AppraiseWorker"
    worker_id: str
    year: int
    result: AppraisalResult


@dataclass(frozen=True)
class RecordPay:
    command_type: ClassVar[str] = "RecordPay"
    worker_id: str
    year: int
    annual_pay_fen: int


@dataclass(frozen=True)
class RecordQualification:
    command_type: ClassVar[str] = "RecordQualification"
    worker_id: str
    level: Qualification
    effective_from: date


@dataclass(frozen=True)
class EraseWorker:
    command_type: ClassVar[str] = "EraseWorker"
    worker_id: str
    reason: str


WorkerRecord = StartLeave | EndLeave | AppraiseWorker | RecordPay | RecordQualification
