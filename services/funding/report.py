"""The funding report of a district, a town or the city (seed 003 §6.3; DOMAIN.md §3): per
district and line, how many communities, the lines' total and what the ledger appropriated,
allocated, disbursed and the communities spent, in JSON or CSV. From the read models
`funding_lines` and `funding_balances`."""

from __future__ import annotations

import csv
import io

import asyncpg
from pydantic import BaseModel, Field

_REPORT = """
SELECT substr(l.division_code, 1, 6) AS district, l.line, min(l.name) AS name,
       count(*) AS communities, sum(l.amount_fen)::bigint AS amount_fen,
       coalesce(sum(b.appropriated), 0)::bigint AS appropriated_fen,
       coalesce(sum(b.allocated), 0)::bigint AS allocated_fen,
       coalesce(sum(b.disbursed), 0)::bigint AS disbursed_fen,
       coalesce(sum(b.spent), 0)::bigint AS spent_fen
FROM funding_lines l
LEFT JOIN (
    SELECT code, year, line, sum(appropriated_fen) AS appropriated,
           sum(allocated_fen) AS allocated, sum(disbursed_fen) AS disbursed,
           sum(spent_fen) AS spent
    FROM funding_balances GROUP BY code, year, line
) b USING (code, year, line)
WHERE l.year = $2 AND starts_with(l.division_code, $1)
GROUP BY 1, 2 ORDER BY 1, 2
"""


class ReportRow(BaseModel):
    district: str = Field(description="The district's 6-digit division prefix")
    line: str
    name: str
    communities: int
    amount_fen: int
    appropriated_fen: int
    allocated_fen: int
    disbursed_fen: int
    spent_fen: int


class FundingReport(BaseModel):
    area: str
    year: int
    rows: list[ReportRow]


async def funding_report(pool: asyncpg.Pool, area: str, year: int) -> FundingReport:
    rows = await pool.fetch(_REPORT, area, year)
    return FundingReport(area=area, year=year, rows=[ReportRow(**dict(r)) for r in rows])


def report_csv(report: FundingReport) -> str:
    """One row per district and line (UTF-8 with a BOM)."""
    out = io.StringIO()
    out.write("\ufeff")
    rows = csv.writer(out, lineterminator="\r\n")
    columns = list(ReportRow.model_fields)
    rows.writerow(["area", "year", *columns])
    for row in report.rows:
        rows.writerow([report.area, report.year, *(getattr(row, c) for c in columns)])
    return out.getvalue()
