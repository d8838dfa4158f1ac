"""The burden-reduction report from the read models: lists, admitted entries and pushes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from services.matters.burden.schemas import BurdenReport, DepartmentPushes
from shared.queries import Queries


class BurdenQueries(Queries):
    async def burden_report(self, prefix: str) -> BurdenReport:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            lists = await conn.fetchrow(
                "SELECT count(*) AS n, coalesce(sum(items), 0) AS items FROM matters_lists"
                " WHERE division_code LIKE $1 || '%' AND ended_at IS NULL",
                prefix,
            )
            entries = await conn.fetchrow(
                "SELECT count(DISTINCT matter_id) AS admitted,"
                " count(DISTINCT matter_id) FILTER (WHERE until IS NOT NULL) AS cleared"
                " FROM matters_entries WHERE division_code LIKE $1 || '%'",
                prefix,
            )
            pushes = await conn.fetch(
                "SELECT department, count(*) FILTER (WHERE accepted) AS accepted,"
                " count(*) FILTER (WHERE NOT accepted) AS refused FROM matters_tasks"
                " WHERE division_code LIKE $1 || '%' GROUP BY department ORDER BY department",
                prefix,
            )
        by_department = [DepartmentPushes(**r) for r in pushes]
        return BurdenReport(
            prefix=prefix, as_of=datetime.now(UTC), communities=lists["n"],
            standardised=lists["items"], admitted=entries["admitted"],
            cleared=entries["cleared"],
            pushes_accepted=sum(d.accepted for d in by_department),
            pushes_refused=sum(d.refused for d in by_department), by_department=by_department,
        )  # fmt: skip


def report_csv(report: BurdenReport) -> str:
    """One row per figure: `figure,department,count` (UTF-8 with a BOM, so a spreadsheet opens
    the Chinese department names as they are)."""
    out = io.StringIO()
    out.write("\ufeff")
    rows = csv.writer(out, lineterminator="\r\n")
    rows.writerow(["prefix", "as_of", "figure", "department", "count"])
    head = [report.prefix, report.as_of.isoformat()]
    for figure in ("communities", "standardised", "admitted", "cleared", "pushes_accepted",
                   "pushes_refused"):  # fmt: skip
        rows.writerow([*head, figure, "", getattr(report, figure)])
    for d in report.by_department:
        rows.writerow([*head, "pushes_accepted", d.department, d.accepted])
        rows.writerow([*head, "pushes_refused", d.department, d.refused])
    return out.getvalue()
