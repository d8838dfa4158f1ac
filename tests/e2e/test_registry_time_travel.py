"""Issue 3 capabilities 7 and 8: time travel from the log, and lineage with hash-chain status."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
from yarl import URL

from tests.conftest import Stack, superuser_url
from tests.e2e.conftest import Platform, community, new_division


async def test_as_of_rebuilds_the_community_as_it_was(platform: Platform) -> None:
    auth = platform.auth("zhenhai")
    before = datetime.now(UTC) - timedelta(seconds=1)
    async with platform.http.post(
        f"{platform.gateway}/v1/communities", json=community(new_division()), headers=auth
    ) as r:
        code = (await r.json())["code"]
    await asyncio.sleep(0.05)
    between = datetime.now(UTC)
    await asyncio.sleep(0.05)
    big = {"households": 2999, "residents": 20000, "area_km2": "4.5", "floating_population": 5000}
    async with platform.http.patch(
        f"{platform.gateway}/v1/communities/{code}/indicators", json=big, headers=auth
    ) as r:
        assert r.status == 200 and (await r.json())["tier"] == "特大"

    url = f"{platform.gateway}/v1/communities/{code}?as_of="
    async with platform.http.get(url + quote(between.isoformat()), headers=auth) as r:
        then = await r.json()
    assert r.status == 200
    assert (then["households"], then["residents"], then["tier"]) == (2860, 7420, "一般")
    assert then["version"] == 2
    async with platform.http.get(url + quote(datetime.now(UTC).isoformat()), headers=auth) as r:
        now = await r.json()
    assert (now["residents"], now["tier"], now["version"]) == (20000, "特大", 4)
    async with platform.http.get(url + quote(before.isoformat()), headers=auth) as r:
        assert r.status == 404
    async with platform.http.get(url + "yesterday", headers=auth) as r:
        assert r.status == 422


async def test_as_of_includes_the_grids_as_they_were(platform: Platform) -> None:
    auth = platform.auth("zhenhai")
    async with platform.http.post(
        f"{platform.gateway}/v1/communities", json=community(new_division()), headers=auth
    ) as r:
        code = (await r.json())["code"]
    grids_url = f"{platform.gateway}/v1/communities/{code}/grids"
    for name in ("第一网格", "第二网格"):
        body = {"name": name, "kind": "residential", "figures": {"households": 400}}
        async with platform.http.post(grids_url, json=body, headers=auth) as r:
            assert r.status == 201
    await asyncio.sleep(0.05)
    between = datetime.now(UTC)
    await asyncio.sleep(0.05)
    async with platform.http.get(grids_url, headers=auth) as r:
        sources = [g["grid"] for g in (await r.json())["grids"]]
    async with platform.http.post(
        f"{grids_url}/merge", json={"sources": sources, "name": "合并网格"}, headers=auth
    ) as r:
        assert r.status == 200

    async with platform.http.get(
        f"{platform.gateway}/v1/communities/{code}?as_of={quote(between.isoformat())}",
        headers=auth,
    ) as r:
        then = await r.json()
    assert [(g["name"], g["active"], g["households"]) for g in then["grids"]] == [
        ("第一网格", True, 400), ("第二网格", True, 400),
    ]  # fmt: skip
    async with platform.http.get(
        f"{grids_url}?as_of={quote(datetime.now(UTC).isoformat())}", headers=auth
    ) as r:
        now = (await r.json())["grids"]
    assert [(g["name"], g["active"]) for g in now] == [
        ("合并网格", True), ("第一网格", False), ("第二网格", False),
    ]  # fmt: skip


async def test_history_lists_actor_time_policy_and_chain_status(
    platform: Platform, stack: Stack
) -> None:
    auth = platform.auth("zhenhai")
    async with platform.http.post(
        f"{platform.gateway}/v1/communities", json=community(new_division()), headers=auth
    ) as r:
        code = (await r.json())["code"]
    history_url = f"{platform.gateway}/v1/communities/{code}/history"
    async with platform.http.get(history_url, headers=auth) as r:
        events = (await r.json())["events"]
    assert [e["event_type"] for e in events] == ["CommunityRegistered", "CommunityTierAssigned"]
    assert all(e["actor"] == "zhenhai" and e["chain_ok"] for e in events)
    assert [e["policy_pack"] for e in events] == [None, "ningbo@2023.1"]

    # Someone with database superuser rights alters the registration behind the log's back.
    conn = await asyncpg.connect(superuser_url(stack, platform.registry_db))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "UPDATE events SET payload = jsonb_set(payload::jsonb, '{households}', '1')::json"
                " WHERE event_id = $1::uuid",
                events[0]["event_id"],
            )
    finally:
        await conn.close()
    async with platform.http.get(history_url, headers=auth) as r:
        events = (await r.json())["events"]
    assert [e["chain_ok"] for e in events] == [False, True]
    assert events[0]["chain_problems"] == ["stored content no longer matches its hash"]
    # Another district sees neither the history nor the past of this community.
    other = platform.auth("yinzhou")
    async with platform.http.get(history_url, headers=other) as r:
        assert r.status == 403
    past = f"{platform.gateway}/v1/communities/{code}?as_of=2030-01-01T00:00:00%2B08:00"
    async with platform.http.get(past, headers=other) as r:
        assert r.status == 403


def readme_as_of_example() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    [example] = re.findall(r"\?as_of=([^`\s]+)`", readme)
    return example


async def test_the_readmes_as_of_example_works_pasted_and_a_bare_plus_says_encode_it(
    platform: Platform,
) -> None:
    """Guards (issue 8 §6): the README's `as_of` example, pasted into a URL, was a bare 422 on
    main (its `+` decodes to a space). The README now encodes it; the bare form gets a 422
    whose reason says to write %2B."""
    example = readme_as_of_example()
    auth = platform.auth("zhenhai")
    async with platform.http.post(
        f"{platform.gateway}/v1/communities", json=community(new_division()), headers=auth
    ) as r:
        code = (await r.json())["code"]
    for path in (f"/v1/communities/{code}", f"/v1/communities/{code}/grids"):
        url = f"{platform.gateway}{path}?as_of="
        async with platform.http.get(URL(url + example, encoded=True), headers=auth) as r:
            assert r.status == 404 and "did not exist" in (await r.json())["detail"]  # in 2025
        bare = example.replace("%2B", "+")
        async with platform.http.get(URL(url + bare, encoded=True), headers=auth) as r:
            problem = await r.json(content_type=None)
            assert r.status == 422 and "%2B" in problem["errors"][0]["reason"], problem
    async with platform.http.get(
        URL(f"{platform.registry}/communities/{code}?as_of={bare}", encoded=True)
    ) as r:
        assert r.status == 422 and "%2B" in (await r.json(content_type=None))["errors"][0]["reason"]
