"""A command's 2xx answer is that command's own result (issue 9, point 7).

Guards the registry routes' answers (services/registry/*/api.py): they used to be whatever
the read model held once it had caught up with the command, so when two writers' events were
applied in one projector batch, both answers showed the later writer's values.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from tests.conftest import Stack, superuser_url
from tests.e2e.conftest import Platform, registered


async def test_two_concurrent_writers_each_get_their_own_values(
    platform: Platform, stack: Stack
) -> None:
    """Both writers' events land (one after the other: the second would conflict at the
    same head) before the communities read model applies either (its
    checkpoint row is held, as a busy projector would be), then one batch applies both: each
    2xx answer shows the households that writer sent, at the version its ETag names; a writer
    whose result was overtaken gets 202 with its own version, never the other's values."""
    code = await registered(platform)
    url = f"{platform.gateway}/v1/communities/{code}/indicators"
    stream = f"community-{code}"
    conn = await asyncpg.connect(superuser_url(stack, platform.registry_db))
    try:
        before = await conn.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", stream)
        hold = conn.transaction()
        await hold.start()
        held = await conn.fetchval(
            "SELECT name FROM checkpoints WHERE name = 'projection:communities' FOR UPDATE"
        )
        assert held is not None

        async def write(households: int) -> tuple[int, str, dict[str, Any]]:
            change = {"households": households, "residents": 8000, "area_km2": "1.40"}
            async with platform.http.patch(url, json=change, headers=platform.auth("zhenhai")) as r:
                return r.status, r.headers.get("ETag", ""), await r.json()

        writers = []
        for n, households in enumerate((2950, 2960), start=1):  # each appends, none applied
            writers.append(asyncio.create_task(write(households)))
            for _ in range(200):
                count = await conn.fetchval(
                    "SELECT count(*) FROM events WHERE stream_id = $1", stream
                )
                if count == before + n:
                    break
                await asyncio.sleep(0.01)
            assert count == before + n
        await hold.rollback()
        answers = await asyncio.gather(*writers)
    finally:
        await conn.close()
    assert {etag for _, etag, _ in answers} == {f'"{before + 1}"', f'"{before + 2}"'}
    for (status, etag, body), households in zip(answers, (2950, 2960), strict=True):
        assert status in (200, 202), body
        assert body["version"] == int(etag.strip('"'))
        if status == 200:
            assert body["households"] == households
    assert any(status == 200 for status, _, _ in answers)  # the last writer's result is shown


@pytest.mark.parametrize("split", [False, True], ids=["one-batch-or-two", "two-batches"])
async def test_two_concurrent_grid_writers_each_get_their_own_grids(
    platform: Platform, stack: Stack, split: bool
) -> None:
    """The same for grid commands, whose answer is the community's grids: with both read
    models held until both writers appended, the first writer's 201 used to list the second
    writer's grid too. Now a 2xx lists only what its own command left (the grids projection's
    head is its version); overtaken, it is 202.

    A batch reads only events below the cluster's oldest open transaction, so on a busy
    server the first writer's event may be applied alone, before the second's. `split` makes
    that happen: a transaction opened between the two appends stays open until the first
    writer has answered, with its own result (201, its own grid only)."""
    code = await registered(platform)
    url = f"{platform.gateway}/v1/communities/{code}/grids"
    stream = f"community-{code}"

    async def write(name: str) -> tuple[int, str, dict[str, Any]]:
        body = {"name": name, "kind": "residential", "figures": {"households": 400}}
        async with platform.http.post(url, json=body, headers=platform.auth("zhenhai")) as r:
            return r.status, r.headers.get("ETag", ""), await r.json()

    conn = await asyncpg.connect(superuser_url(stack, platform.registry_db))
    blocker = await asyncpg.connect(superuser_url(stack, platform.registry_db))
    try:
        hold = conn.transaction()
        await hold.start()
        held = await conn.fetch(
            "SELECT name FROM checkpoints WHERE name = ANY($1) FOR UPDATE",
            ["projection:communities", "projection:grids"],
        )
        assert len(held) == 2
        horizon = blocker.transaction()
        writers = []
        for name in ("甲网格", "乙网格"):  # each appends, none applied
            if split and writers:  # an xid between the two writers' ones, held open
                await horizon.start()
                await blocker.fetchval("SELECT pg_current_xact_id()")
            count = await conn.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", stream)
            writers.append(asyncio.create_task(write(name)))
            for _ in range(200):
                now = await conn.fetchval(
                    "SELECT count(*) FROM events WHERE stream_id = $1", stream
                )
                if now > count:
                    break
                await asyncio.sleep(0.01)
            assert now > count
        await hold.rollback()
        answers = [await writers[0]]
        if split:
            await horizon.rollback()
        answers.append(await writers[1])
    finally:
        await conn.close()
        await blocker.close()
    assert len({etag for _, etag, _ in answers}) == 2
    (first, first_etag, first_body), (second, _, second_body) = answers
    assert second == 201, answers
    assert {g["name"] for g in second_body["grids"]} == {"甲网格", "乙网格"}
    if first == 201:  # applied alone (nearly always when `split`): its own result
        assert [g["name"] for g in first_body["grids"]] == ["甲网格"], answers
    else:  # one batch applied both (or its wait of 2 s ran out): overtaken
        assert first == 202, answers
        assert first_body == {"code": code, "version": int(first_etag.strip('"'))}
