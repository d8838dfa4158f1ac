"""Disclosure (村务公开 / 居务公开, seed 003 §6.3): a community's statement of the funds it
received and spent by line for a period (a quarter, or a month where postings are many), in
JSON, CSV and a printable HTML page a residents' board can post. Built from the ledger alone:
a posting counts in the period it was recorded in (Beijing), a reversal as a negative."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping
from datetime import date, datetime

from pydantic import BaseModel, Field

from services.funding.ledger.events import PostingRecorded
from services.funding.standards.rules import yuan
from shared.errors import FieldProblem, ValidationFailed
from shared.values import BEIJING

PERIOD_PATTERN = r"[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))"


class StatementLine(BaseModel):
    line: str
    name: str
    amount_fen: int = Field(description="The line for the year")
    received_fen: int = Field(description="Disbursed to the community in the period")
    spent_fen: int = Field(description="Spent by the community in the period")
    received_to_date_fen: int = Field(description="This year, to the period's end")
    spent_to_date_fen: int
    balance_fen: int = Field(description="Received to date less spent to date")


class Disclosure(BaseModel):
    code: str
    division_code: str
    period: str = Field(description="2026Q3, or 2026-07")
    starts: date
    ends: date = Field(description="The period's last day")
    lines: list[StatementLine]
    source: str = "seed 003 §6.3"


def period_bounds(period: str) -> tuple[int, date, date]:
    """(year, first day, day after the last) of `2026Q3` or `2026-07`; a 422 otherwise."""
    if not re.fullmatch(PERIOD_PATTERN, period):
        reason = "a quarter (2026Q3) or a month (2026-07)"
        raise ValidationFailed(reason, errors=[FieldProblem("period", reason)])
    year = int(period[:4])
    if "Q" in period:
        first = 3 * (int(period[5]) - 1) + 1
        months = 3
    else:
        first, months = int(period[5:]), 1
    starts = date(year, first, 1)
    after = date(year + (first + months > 12), (first + months - 1) % 12 + 1, 1)
    return year, starts, after


def statement(
    code: str, division_code: str, period: str, lines: dict[str, tuple[str, int]],
    postings: list[tuple[datetime, PostingRecorded]], kinds: Mapping[str, str],
) -> Disclosure:  # fmt: skip
    """`lines`: line id → (name, amount); `postings` with their recording time; `kinds`: each
    posting id → its kind (what a reversal takes back)."""
    _, starts, after = period_bounds(period)
    figures = {line: {"in": 0, "out": 0, "in_ytd": 0, "out_ytd": 0} for line in lines}
    for at, posting in postings:
        kind: str = posting.kind
        sign = 1
        if kind == "reverse":
            kind, sign = kinds.get(posting.reverses or "", ""), -1
        if kind not in ("disburse", "spend") or posting.line not in figures:
            continue
        day = at.astimezone(BEIJING).date()
        if day >= after:
            continue
        f, key = figures[posting.line], "in" if kind == "disburse" else "out"
        f[f"{key}_ytd"] += sign * posting.amount_fen
        if day >= starts:
            f[key] += sign * posting.amount_fen
    return Disclosure(
        code=code, division_code=division_code, period=period, starts=starts,
        ends=date.fromordinal(after.toordinal() - 1),
        lines=[
            StatementLine(
                line=line, name=name, amount_fen=amount, received_fen=f["in"],
                spent_fen=f["out"], received_to_date_fen=f["in_ytd"],
                spent_to_date_fen=f["out_ytd"], balance_fen=f["in_ytd"] - f["out_ytd"],
            )
            for line, (name, amount) in lines.items()
            for f in [figures[line]]
        ],
    )  # fmt: skip


COLUMNS = ("line", "name", "amount_fen", "received_fen", "spent_fen", "received_to_date_fen",
           "spent_to_date_fen", "balance_fen")  # fmt: skip


def as_csv(disclosure: Disclosure) -> str:
    """One row per line (UTF-8 with a BOM, so a spreadsheet opens the Chinese names)."""
    out = io.StringIO()
    out.write("\ufeff")
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(["code", "period", *COLUMNS])
    for line in disclosure.lines:
        rows.writerow([disclosure.code, disclosure.period,
                       *(getattr(line, c) for c in COLUMNS)])  # fmt: skip
    return out.getvalue()


def as_html(disclosure: Disclosure) -> str:
    """A printable page for the residents' board: figures in yuan, every text escaped."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(line.name)}</td><td>{yuan(line.amount_fen)}</td>"
        f"<td>{yuan(line.received_fen)}</td><td>{yuan(line.spent_fen)}</td>"
        f"<td>{yuan(line.received_to_date_fen)}</td><td>{yuan(line.spent_to_date_fen)}</td>"
        f"<td>{yuan(line.balance_fen)}</td></tr>"
        for line in disclosure.lines
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(disclosure.code)} 经费公开 {e(disclosure.period)}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #333;padding:4px 8px;text-align:right}"
        "td:first-child{text-align:left}@media print{button{display:none}}</style></head>"
        f"<body><h1>社区经费公开 {e(disclosure.period)}</h1>"
        f"<p>社区代码 {e(disclosure.code)}, {disclosure.starts} 至 {disclosure.ends} (单位: 元)</p>"
        "<table><tr><th>项目</th><th>年度标准</th><th>本期收入</th><th>本期支出</th>"
        "<th>年度累计收入</th><th>年度累计支出</th><th>结余</th></tr>"
        f"{rows}</table><p>依据: {e(disclosure.source)}</p></body></html>"
    )
