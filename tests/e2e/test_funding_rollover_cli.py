"""A city-wide roll-over is an operator's (`wuding funding rollover`): the city platform
commands nothing at the gateway. Run for Ningbo's prefix, it sets next year's lines of every
community under it — and none elsewhere — records the run under the operator's name, and run
again sets nothing."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services import cli
from tests.e2e.conftest import Platform, community, new_division
from tests.e2e.test_funding import YEAR, funding_once, industrial
from tests.e2e.test_matters_lists import call


async def wuding(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    # stdout holds the in-process services' logs too: the command's own line
    return next(line for line in out.splitlines() if line.startswith("funding roll-over"))


async def test_an_operator_rolls_the_whole_city_over_once(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ningbo = [await industrial(platform, 9_000), await industrial(platform, 15_000)]
    for code in ningbo:
        await funding_once(platform, code, 2)
    status, xixian = await call(platform, "xixian", "POST", "/communities",
                                community(new_division("610104"), name="沣东社区"))  # fmt: skip
    assert status == 201, xixian

    monkeypatch.setenv("WUDING_DATABASE_URL", platform.funding_db)
    first = await wuding(capsys, "funding", "rollover", "--division-prefix", "3302",
                         "--year", str(YEAR + 1))  # fmt: skip
    assert first.startswith(f"funding roll-over 3302 {YEAR + 1}: "), first
    for code in ningbo:
        status, next_year = await call(platform, "zhenhai", "GET",
                                       f"/communities/{code}/funding?year={YEAR + 1}")  # fmt: skip
        assert status == 200
        assert {line["line"] for line in next_year["lines"]} == {
            "industrial_operating", "service_fund",
        }  # fmt: skip
    outside = f"/communities/{xixian['code']}/funding?year={YEAR + 1}"
    status, untouched = await call(platform, "xixian", "GET", outside)
    assert status == 200 and untouched["lines"] == []  # outside the prefix

    again = await wuding(capsys, "funding", "rollover", "--division-prefix", "3302",
                         "--year", str(YEAR + 1))  # fmt: skip
    assert " 0 changed, 0 lines set, 0 postings" in again, again
    conn = await asyncpg.connect(platform.funding_db)
    try:
        runs = await conn.fetch(
            "SELECT payload->>'lines_set' AS lines, metadata->>'actor' AS actor FROM events"
            " WHERE stream_id = $1 ORDER BY stream_version", f"rollover-3302-{YEAR + 1}",
        )  # fmt: skip
    finally:
        await conn.close()
    assert len(runs) == 2 and int(runs[0]["lines"]) >= 4 and runs[1]["lines"] == "0"
    assert all(run["actor"].startswith("operator:") for run in runs)

    with pytest.raises(SystemExit) as refused:
        await asyncio.to_thread(cli.main, ["funding", "rollover", "--division-prefix", "3302",
                                           "--year", str(YEAR + 5)])  # fmt: skip
    assert refused.value.code == 2
    assert "this budget year" in capsys.readouterr().err
