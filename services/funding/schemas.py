"""What funding's routes take and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from services.funding.ledger.events import Entry
from services.funding.standards.events import PayerShare
from shared.values import PREFIX_QUERY_PATTERN, CommunityCode, Note

Year = Field(ge=2000, le=2100, description="The budget year (Beijing's calendar year)")


_MOVE_FIELDS = ("line", "payer", "amount_fen")
# The two shapes of a posting, for the JSON Schema (the validator below says the same; a
# null is as absent, as the gateway forwards every field).
_SHAPES: JsonDict = {
    "oneOf": [
        {
            "properties": {
                "kind": {"enum": ["appropriate", "allocate", "disburse", "spend"]},
                **{name: {"not": {"type": "null"}} for name in _MOVE_FIELDS},
                "reverses": {"type": "null"},
            },
            "required": list(_MOVE_FIELDS),
        },
        {
            "properties": {
                "kind": {"const": "reverse"},
                "reverses": {"type": "string"},
                **{name: {"type": "null"} for name in _MOVE_FIELDS},
            },
            "required": ["reverses"],
        },
    ]
}


class PostingRequest(BaseModel):
    """A posting: a move of an amount (appropriate, allocate, disburse, spend) on a line and
    payer, or the reversal of an earlier posting (`reverses`; line, payer and amount are its)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_SHAPES)

    code: CommunityCode
    year: int = Year
    kind: Literal["appropriate", "allocate", "disburse", "spend", "reverse"]
    line: str | None = Field(default=None, max_length=64, examples=["industrial_operating"])
    payer: str | None = Field(default=None, max_length=64, examples=["district"])
    amount_fen: int | None = Field(default=None, gt=0, le=10**13, description="Integer fen")
    reverses: str | None = Field(default=None, max_length=64, description="A posting id")
    note: Note = ""

    @model_validator(mode="after")
    def _one_shape(self) -> PostingRequest:
        moving = [getattr(self, name) for name in _MOVE_FIELDS]  # null is as absent
        if self.kind == "reverse":
            if self.reverses is None or any(v is not None for v in moving):
                raise ValueError("a reversal names `reverses` and nothing of the move")
        elif self.reverses is not None or any(v is None for v in moving):
            raise ValueError(f"{self.kind} names `line`, `payer` and `amount_fen`, not `reverses`")
        return self


class PostingView(BaseModel):
    posting_id: str
    code: str
    year: int
    line: str
    payer: str
    kind: str
    amount_fen: int
    entries: list[Entry]
    reverses: str | None
    note: str
    recorded_at: datetime


class PayerBalance(BaseModel):
    payer: str
    share: int
    part_fen: int = Field(description="Its part of the line: what it may appropriate at most")
    appropriated_fen: int
    allocated_fen: int
    disbursed_fen: int = Field(description="Paid: what the community received")
    spent_fen: int = Field(description="What the community spent of it")


class BudgetLineView(BaseModel):
    line: str
    name: str
    amount_fen: int
    rule: str
    source: str
    policy_pack: str | None
    payers: list[PayerBalance]
    stops_from_year: int | None = Field(
        default=None, description="A matter's line (费随事转) after its exit: no line from then"
    )


class CommunityFundingView(BaseModel):
    code: str
    division_code: str
    major_type: str
    year: int
    lines: list[BudgetLineView]
    postings: int
    trial_balance_fen: int = Field(description="The sum of every account's balance: always 0")
    version: int = Field(description="The ledger stream's version (0: no posting yet)")


class LineDecisionView(BaseModel):
    amount_fen: int
    previous_fen: int | None
    payers: list[PayerShare]
    rule: str
    source: str
    inputs: dict[str, str]
    policy_pack: str | None
    decided_at: datetime
    caused_by: str | None = Field(description="The registry event that led to it")
    event_id: str


class LineExplanation(BaseModel):
    code: str
    year: int
    line: str
    name: str
    amount_fen: int
    decisions: list[LineDecisionView] = Field(
        description="Every decision of the line, oldest first"
    )


class RolloverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    division_prefix: str = Field(
        pattern=PREFIX_QUERY_PATTERN,
        description="A district's prefix, or the city's",
        examples=["330211"],
    )
    year: int = Field(ge=2000, le=2100, description="This budget year or the next")


class RolloverView(BaseModel):
    division_prefix: str
    year: int
    communities: int = Field(description="The communities of the prefix funding follows")
    communities_changed: int
    lines_set: int = Field(description="Lines this run set: 0 when run again")
    postings: int = Field(description="Postings committing the matters' lines carried on")
    recorded_at: datetime


class OverdueView(BaseModel):
    code: str
    division_code: str
    year: int
    line: str
    payer: str
    deadline: date
    part_fen: int
    disbursed_fen: int = Field(description="As it stood when flagged; when cleared, in full")
    flagged_at: datetime
    cleared_at: datetime | None


class OverdueList(BaseModel):
    division_prefix: str
    as_of: date
    items: list[OverdueView] = Field(description="Overdue on that day, by deadline and code")
