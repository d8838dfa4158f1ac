"""A district system registers and reads communities through the gateway (issue 2 §3, §4)."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from multidict import CIMultiDict

from services.gateway.app import create_app as gateway_app
from services.gateway.auth import hash_key
from services.gateway.settings import GatewaySettings
from services.registry.community.schemas import CommunityView
from shared.community_code import check_digit, is_valid_code, issue_code
from shared.stack.embedded import free_port
from tests.e2e.conftest import Platform, community, new_division, new_town, serve

PROBLEM = "application/problem+json"


async def post(p: Platform, client: str, body: dict, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = p.auth(client) | ({"Idempotency-Key": key} if key else {})
    async with p.http.post(f"{p.gateway}/v1/communities", json=body, headers=headers) as r:
        return r.status, CIMultiDict(r.headers), await r.json(content_type=None)


async def get(p: Platform, client: str, path: str):  # type: ignore[no-untyped-def]
    async with p.http.get(f"{p.gateway}{path}", headers=p.auth(client)) as r:
        return r.status, CIMultiDict(r.headers), await r.json(content_type=None)


async def test_register_then_read_back(platform: Platform) -> None:
    division = new_division()
    status, headers, body = await post(platform, "zhenhai", community(division))
    assert status == 201, body
    code = body["code"]
    assert is_valid_code(code) and code.startswith(division + "1000")
    # Registration records two events: CommunityRegistered and its CommunityTierAssigned.
    assert headers["ETag"] == '"2"' and headers["Location"] == f"/v1/communities/{code}"
    assert headers["X-Request-Id"] and headers["X-Correlation-Id"]
    status, headers, read = await get(platform, "zhenhai", f"/v1/communities/{code}")
    assert status == 200
    assert read["name"] == "勤勇社区" and read["area_km2"] == "1.35" and read["version"] == 2
    assert (read["tier"], read["region"], read["policy_version"]) == ("一般", "ningbo", "2023.1")
    assert read["has_residents_committee"] is True and read["households"] == 2860
    # The read path's JSON (built by PostgreSQL) is the same CommunityView the command returned.
    assert CommunityView.model_validate(read) == CommunityView.model_validate(body)


async def test_idempotency_key_replays_the_first_response_and_appends_once(
    platform: Platform,
) -> None:
    division, key = new_division(), f"retry-{uuid4()}"
    first = await post(platform, "zhenhai", community(division), key)
    again = await post(platform, "zhenhai", community(division), key)
    assert first[0] == again[0] == 201
    assert again[2] == first[2]
    assert again[1].get("idempotent-replayed") == "true"
    conn = await asyncpg.connect(platform.registry_db)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM events WHERE payload->>'division_code' = $1", division
        )  # CommunityRegistered carries the division code; its tier event does not
    finally:
        await conn.close()
    assert count == 1
    status, headers, problem = await post(
        platform, "zhenhai", community(division, households=1), key
    )
    assert status == 422 and headers["Content-Type"] == PROBLEM
    assert problem["errors"] == [
        {"field": "Idempotency-Key", "reason": "reused with a different request"}
    ]


async def test_duplicate_registration_is_a_409_problem(platform: Platform) -> None:
    division = new_division()
    assert (await post(platform, "zhenhai", community(division)))[0] == 201
    status, headers, problem = await post(platform, "zhenhai", community(division))
    assert status == 409 and headers["Content-Type"] == PROBLEM
    assert problem["type"] == "urn:wuding:problem:already-registered"


async def test_invalid_input_gets_field_level_reasons_and_changes_nothing(
    platform: Platform,
) -> None:
    status, _, problem = await post(
        platform, "zhenhai", community("3302110", households=-1, major_type="town")
    )
    assert status == 422 and problem["status"] == 422
    fields = {e["field"] for e in problem["errors"]}
    assert {"division_code", "households", "major_type"} <= fields
    division = new_division()
    status, _, problem = await post(
        platform,
        "zhenhai",
        community(division, name="蛟川社区", major_type="industrial", subtype="工业社区"),
    )
    assert status == 422
    assert (
        problem["errors"][0]["field"] == "name" and "XX工业社区" in problem["errors"][0]["reason"]
    )
    status, _, problem = await post(
        platform, "zhenhai", community(new_division("330211000"))
    )  # town 000
    assert status == 422 and problem["errors"][0]["field"] == "division_code"
    status, _, _ = await get(platform, "zhenhai", f"/v1/communities?division_prefix={division}")
    listed = await get(platform, "zhenhai", f"/v1/communities?division_prefix={division}")
    assert listed[2]["items"] == []


async def test_the_hot_read_path_answers_exactly_as_the_app_does(platform: Platform) -> None:
    """GET of one community is answered beneath FastAPI (shared/hot_routes.py) in the gateway
    and the registry; a query string sends the same read through the app's own routes."""
    code = (await post(platform, "zhenhai", community(new_division())))[2]["code"]
    hot = await get(platform, "zhenhai", f"/v1/communities/{code}")
    app = await get(platform, "zhenhai", f"/v1/communities/{code}?through=app")
    assert hot[0] == app[0] == 200 and hot[2] == app[2]
    for name in ("ETag", "Content-Type"):
        assert hot[1][name] == app[1][name], name
    assert hot[1]["X-Request-Id"] != app[1]["X-Request-Id"] and hot[1]["X-Correlation-Id"]
    async with platform.http.get(f"{platform.registry}/communities/{code}") as r:
        assert r.status == 200 and await r.json() == hot[2]
    async with platform.http.get(platform.registry + "/metrics") as r:
        metrics = await r.text()
    assert 'method="GET",route="/v1/communities/{code}",service="gateway",status="200"' in metrics
    assert 'method="GET",route="/communities/{code}",service="registry",status="200"' in metrics
    # Everything but the plain success falls through to the app and its problem+json.
    unknown = code[:13] + "999"
    unknown += check_digit(unknown)
    for client, path, status in (
        ("yinzhou", f"/v1/communities/{code}", 403),
        ("zhenhai", f"/v1/communities/{unknown}", 404),
        ("zhenhai", f"/v1/communities/{code[:16]}{(int(code[16]) + 1) % 10}", 422),
    ):
        got = await get(platform, client, path)
        assert got[0] == status and got[1]["Content-Type"] == PROBLEM, (path, got)
    async with platform.http.get(
        f"{platform.gateway}/v1/communities/{code}", headers={"Authorization": "Bearer wd_no"}
    ) as r:
        assert r.status == 401 and r.headers["Content-Type"] == PROBLEM


async def test_authentication_and_district_scope(platform: Platform) -> None:
    async with platform.http.get(f"{platform.gateway}/v1/communities/1") as r:
        assert r.status == 401 and r.headers["Content-Type"] == PROBLEM
    async with platform.http.get(
        f"{platform.gateway}/v1/communities", headers={"Authorization": "Bearer wd_wrong"}
    ) as r:
        assert r.status == 401
    status, _, problem = await post(platform, "yinzhou", community(new_division("330211")))
    assert status == 403 and "330212" in problem["detail"]
    division = new_division()
    code = (await post(platform, "zhenhai", community(division)))[2]["code"]
    assert (await get(platform, "yinzhou", f"/v1/communities/{code}"))[0] == 403
    assert (await get(platform, "city", f"/v1/communities/{code}"))[0] == 200
    status, _, problem = await post(platform, "city", community(new_division()))
    assert status == 403 and "may only read" in problem["detail"]
    assert (await get(platform, "yinzhou", "/v1/communities?division_prefix=330211"))[0] == 403


async def test_list_by_district_with_cursor_pagination(platform: Platform) -> None:
    town = new_town()  # a town of its own: the listing must hold exactly these five
    codes = []
    for village in range(1, 6):
        body = (await post(platform, "zhenhai", community(f"{town}{village:03d}")))[2]
        codes.append(body["code"])
    seen, cursor = [], None
    while True:
        query = f"/v1/communities?division_prefix={town}&limit=2" + (
            f"&cursor={cursor}" if cursor else ""
        )
        status, _, page = await get(platform, "zhenhai", query)
        assert status == 200 and len(page["items"]) <= 2
        seen += [c["code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(codes)
    status, _, default = await get(platform, "zhenhai", "/v1/communities?limit=500")
    assert status == 200 and all(c["division_code"].startswith("330211") for c in default["items"])


async def test_if_match_stale_version_is_409_and_current_version_updates(
    platform: Platform,
) -> None:
    code = (await post(platform, "zhenhai", community(new_division())))[2]["code"]
    url = f"{platform.gateway}/v1/communities/{code}/indicators"
    change = {"households": 2950, "residents": 8000, "area_km2": "1.40"}
    headers = platform.auth("zhenhai") | {"If-Match": '"2"'}
    async with platform.http.patch(url, json=change, headers=headers) as r:
        # The tier stays 一般 and no size rule breaks: only CommunityIndicatorsUpdated.
        assert r.status == 200 and r.headers["ETag"] == '"3"'
        assert (await r.json())["households"] == 2950
    async with platform.http.patch(url, json=change | {"households": 1}, headers=headers) as r:
        assert r.status == 409 and r.headers["Content-Type"] == PROBLEM
        assert (await r.json())["type"] == "urn:wuding:problem:version-conflict"
    assert (await get(platform, "zhenhai", f"/v1/communities/{code}"))[2]["households"] == 2950


async def test_health_readiness_and_metrics_on_every_process(platform: Platform) -> None:
    await post(platform, "zhenhai", community(new_division()))
    tasks = {platform.gateway: "idempotency-sweep", platform.registry: "relay:registry.events"}
    for base in (platform.gateway, platform.registry):
        for path in ("/healthz", "/readyz"):
            async with platform.http.get(base + path) as r:
                assert r.status == 200, (base, path)
                # Each background task's state is in the health report (shared/supervisor.py).
                task = (await r.json())["tasks"][tasks[base]]
                assert task["state"] == "running", (base, task)
    async with platform.http.get(platform.registry + "/metrics") as r:
        text = await r.text()
    for metric in (
        "wuding_http_request_duration_seconds",
        "wuding_eventstore_append_duration",
        "wuding_relay_lag_seconds",
        "wuding_relay_lag_events",
        "wuding_projection_lag_seconds",
    ):
        assert metric in text, metric
    async with platform.http.get(platform.gateway + "/openapi.json") as r:
        spec = await r.json()
    assert "/v1/communities" in spec["paths"]


async def test_every_command_is_audited_by_the_gateway(platform: Platform) -> None:
    key = f"audit-{uuid4()}"
    await post(platform, "zhenhai", community(new_division()), key)
    await post(platform, "yinzhou", community(new_division()), None)  # refused: 403
    misnamed = community(new_division(), name="澥浦社区", major_type="industrial",
                         subtype="工业社区")  # fmt: skip
    assert (await post(platform, "zhenhai", misnamed, f"audit-{uuid4()}"))[0] == 422
    conn = await asyncpg.connect(platform.gateway_db)
    try:
        reasons = await conn.fetchval(
            "SELECT refusal::text FROM command_audit WHERE client_id = 'zhenhai' AND status = 422"
            " AND refusal::text LIKE '%XX工业社区%' ORDER BY id DESC LIMIT 1"
        )
        forbidden = await conn.fetchval(
            "SELECT refusal->>'detail' FROM command_audit WHERE client_id = 'yinzhou'"
            " AND status = 403 ORDER BY id DESC LIMIT 1"
        )
        row = await conn.fetchrow(
            "SELECT client_id, method, path, status, correlation_id FROM command_audit"
            " WHERE idempotency_key = $1",
            key,
        )
        refused = await conn.fetchval(
            "SELECT count(*) FROM command_audit WHERE client_id = 'yinzhou' AND status = 403"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM command_audit")
    finally:
        await conn.close()
    assert (row["client_id"], row["method"], row["path"], row["status"]) == (
        "zhenhai",
        "POST",
        "/communities",
        201,
    )
    assert row["correlation_id"] and refused >= 1
    # A refusal keeps its reason, which names the rule's source: the name rule of seed 000.
    [error] = json.loads(reasons)["errors"]
    assert error["field"] == "name" and "seed 000" in error["reason"]
    assert "330212" in forbidden


async def test_a_registry_that_does_not_answer_is_a_503_problem_and_audited(
    platform: Platform, tmp_path: Path
) -> None:
    """The gateway in front of a registry that is down: clear 503s, the command audited."""
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([{
        "client_id": "zhenhai", "kind": "district", "division_prefix": "330211",
        "key_sha256": hash_key(platform.keys["zhenhai"]),
    }]), "utf-8")  # fmt: skip
    settings = GatewaySettings(
        env="test", database_url=platform.gateway_db, clients_file=clients,
        registry_url=f"http://127.0.0.1:{free_port()}", forward_timeout_seconds=2,
    )  # fmt: skip
    port = free_port()
    server, task = await serve(gateway_app(settings), port)
    key = f"down-{uuid4()}"
    try:
        base, auth = f"http://127.0.0.1:{port}/v1/communities", platform.auth("zhenhai")
        async with platform.http.get(f"{base}/{issue_code(new_division(), 'urban')}",
                                     headers=auth) as r:  # fmt: skip
            assert r.status == 503 and r.headers["Content-Type"] == PROBLEM
            assert "registry" in (await r.json())["detail"]
        async with platform.http.post(
            base, json=community(new_division()), headers=auth | {"Idempotency-Key": key}
        ) as r:
            assert r.status == 503 and r.headers["Content-Type"] == PROBLEM
    finally:
        server.should_exit = True
        await task
    conn = await asyncpg.connect(platform.gateway_db)
    try:
        status = await conn.fetchval(
            "SELECT status FROM command_audit WHERE idempotency_key = $1", key
        )
        held = await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key)
    finally:
        await conn.close()
    assert status == 503 and held == 0  # audited; the key is free for the retry
