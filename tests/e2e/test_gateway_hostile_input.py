"""Hostile input at the gateway (issue 8 §3, §4): each answer is a 4xx problem, changes nothing,
and is audited; no layer resolves a request differently from another."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import asyncpg
from multidict import CIMultiDict

from tests.e2e.conftest import Platform, community, new_division, registered

PROBLEM = "application/problem+json"
EDGES = ("9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+14:00")


async def call(
    p: Platform, method: str, url: str, headers: Any = None, body: Any = None
) -> tuple[int, CIMultiDict[str], Any]:
    async with p.http.request(method, url, headers=headers, json=body) as r:
        return r.status, CIMultiDict(r.headers), await r.json(content_type=None)


async def raw_exchange(port: int, request: bytes) -> bytes:
    """Send bytes as they are (aiohttp would not send a malformed or oversized request)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_as_of_at_the_ends_of_the_datetime_range_is_a_422_problem(
    platform: Platform,
) -> None:
    """Guards: these moments parsed, then overflowed converting to UTC: 500 internal-error,
    at the gateway and at the registry, on a community and on its grids."""
    code = await registered(platform)
    for moment in EDGES:
        for path in (f"/communities/{code}", f"/communities/{code}/grids"):
            for base in (f"{platform.gateway}/v1", platform.registry):
                url = f"{base}{path}?as_of={quote(moment)}"
                status, headers, problem = await call(platform, "GET", url, platform.auth("city"))
                assert status == 422 and headers["Content-Type"] == PROBLEM, (url, problem)
                assert problem["errors"][0]["field"].endswith("as_of"), problem
    # The README's example, `+` encoded, works.
    url = f"{platform.gateway}/v1/communities/{code}?as_of={quote('2999-06-30T00:00:00+08:00')}"
    assert (await call(platform, "GET", url, platform.auth("city")))[0] == 200


async def test_if_match_is_one_strong_etag_bounded_and_refused_clearly(platform: Platform) -> None:
    """Guards: an If-Match of 100,000 digits was a 500 (and any head size was accepted); a
    weak ETag satisfied If-Match. Each refusal changes nothing, its Idempotency-Key included."""
    code = await registered(platform)
    url = f"{platform.gateway}/v1/communities/{code}/indicators"
    change = {"households": 2950, "residents": 8000, "area_km2": "1.40"}
    key = {"Idempotency-Key": f"if-match-{uuid4()}"}
    for if_match, status in (("1" * 100_000, 431), ("9" * 5000, 422), ('"' + "9" * 30 + '"', 422),
                             ('W/"2"', 412)):  # fmt: skip
        headers = platform.auth("zhenhai") | key | {"If-Match": if_match}
        got, got_headers, problem = await call(platform, "PATCH", url, headers, change)
        assert got == status and got_headers["Content-Type"] == PROBLEM, (if_match[:9], problem)
    for base in (f"{platform.gateway}/v1", platform.registry):  # the registry parses it too
        headers = platform.auth("zhenhai") | {"If-Match": "9" * 5000}
        got = await call(platform, "PATCH", f"{base}/communities/{code}/indicators", headers,
                         change)  # fmt: skip
        assert got[0] == 422 and got[2]["errors"][0]["field"] == "If-Match", got
    status, headers, body = await call(platform, "GET", f"{platform.gateway}/v1/communities/{code}",
                                       platform.auth("zhenhai"))  # fmt: skip
    assert headers["ETag"] == '"2"' and body["households"] == 2860  # nothing changed
    headers = platform.auth("zhenhai") | key | {"If-Match": '"2"'}
    assert (await call(platform, "PATCH", url, headers, change))[0] == 200  # the key was free


async def test_request_heads_are_bounded_with_a_431_problem(platform: Platform) -> None:
    """Guards: a 1 MB header, or hundreds of headers, were accepted and buffered."""
    port = int(platform.gateway.rsplit(":", 1)[1])
    auth = f"Authorization: Bearer {platform.keys['city']}\r\n".encode()
    huge = b"GET /v1/policy-packs HTTP/1.1\r\nHost: x\r\n" + auth
    for extra in (b"X-Big: " + b"a" * 1_000_000 + b"\r\n",
                  b"".join(b"X-H%d: 1\r\n" % i for i in range(200))):  # fmt: skip
        answer = await raw_exchange(port, huge + extra + b"\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b"content-type: application/problem+json" in head
        assert json.loads(body)["status"] == 431
    # An ordinary request on the same server is served.
    assert (await call(platform, "GET", f"{platform.gateway}/v1/policy-packs",
                       platform.auth("city")))[0] == 200  # fmt: skip


async def test_duplicate_credentials_are_a_400_on_every_path(platform: Platform) -> None:
    """Guards: two Authorization headers were resolved by the hot read path (last) and by the
    app (first) differently: one request, two identities."""
    code = await registered(platform)
    both = CIMultiDict([("Authorization", f"Bearer {platform.keys['yinzhou']}"),
                        ("Authorization", f"Bearer {platform.keys['zhenhai']}")])  # fmt: skip
    mixed = CIMultiDict([("Authorization", f"Bearer {platform.keys['zhenhai']}"),
                         ("X-Api-Key", platform.keys["yinzhou"])])  # fmt: skip
    for headers in (both, mixed):
        for method, path, body in (
            ("GET", f"/v1/communities/{code}", None),  # the hot path
            ("GET", f"/v1/communities/{code}/history", None),  # the app
            ("POST", "/v1/communities", community(new_division())),
        ):
            got = await call(platform, method, f"{platform.gateway}{path}", headers, body)
            assert got[0] == 400 and got[1]["Content-Type"] == PROBLEM, (path, got)
            assert got[2]["type"] == "urn:wuding:problem:ambiguous-credentials"


async def test_path_parameters_are_percent_encoded_when_forwarded(platform: Platform) -> None:
    """Guards: a `%0A` or a space in a path parameter reached the registry as a raw request
    line and came back as `400 text/plain` from its HTTP parser."""
    code = await registered(platform)
    body = {"figures": {"households": 1, "population": 1}}
    for grid in ("a%0Ab", "a%20b", "a%3Fb", "%E7%BD%91"):
        url = f"{platform.gateway}/v1/communities/{code}/grids/{grid}/figures"
        status, headers, problem = await call(platform, "PUT", url, platform.auth("zhenhai"), body)
        assert 400 <= status < 500 and headers["Content-Type"] == PROBLEM, (grid, problem)
        assert problem["type"].startswith("urn:wuding:problem:"), problem


async def test_every_refusal_is_audited_reads_included(platform: Platform) -> None:
    """Guards: 403s on reads, 401s and the gateway's own 422s left no audit row, and a refused
    registration did not record the division it tried."""
    code = await registered(platform)
    marker = uuid4().hex
    gw = platform.gateway
    tried = new_division("330212")
    invalid = community(new_division(), households=True)
    invalid["division_code"] = tried[:11] + "x"
    requests: list[tuple[str, str, Any, Any, int]] = [
        ("GET", f"/v1/communities/{code}", platform.auth("yinzhou"), None, 403),
        ("GET", f"/v1/communities/{code}/history", {"Authorization": "Bearer wd_no"}, None, 401),
        ("GET", "/v1/communities?division_prefix=1", platform.auth("zhenhai"), None, 422),
        ("GET", "/v1/communities?cursor=%21", platform.auth("zhenhai"), None, 422),  # registry's
        ("POST", "/v1/communities", platform.auth("zhenhai"), community(tried), 403),
        ("POST", "/v1/communities", platform.auth("zhenhai"), {"division_code": tried[:11] + "x"},
         422),
    ]  # fmt: skip
    for method, path, headers, body, status in requests:
        headers = {**headers, "X-Correlation-Id": f"{marker}-{status}-{method}"}
        got = await call(platform, method, f"{gw}{path}", headers, body)
        assert got[0] == status, (path, got)
    conn = await asyncpg.connect(platform.gateway_db)
    try:
        rows = await conn.fetch(
            "SELECT client_id, method, path, status, division_code, refusal::text AS refusal,"
            " correlation_id FROM command_audit WHERE correlation_id LIKE $1 ORDER BY id",
            f"{marker}-%",
        )
    finally:
        await conn.close()
    audited = {(r["method"], r["status"]): r for r in rows}
    assert len(rows) == len(requests), rows
    read_403 = audited[("GET", 403)]
    assert read_403["client_id"] == "yinzhou" and read_403["division_code"] == code[:12]
    assert "330212" in json.loads(read_403["refusal"])["detail"]
    assert audited[("GET", 401)]["client_id"] == "unauthenticated"
    gateway_422, registry_422 = (r for r in rows if (r["method"], r["status"]) == ("GET", 422))
    assert "division_prefix" in gateway_422["refusal"] and "cursor" in registry_422["refusal"]
    assert registry_422["division_code"] == "330211" and registry_422["path"] == "/communities"
    assert audited[("POST", 403)]["division_code"] == tried  # the division it tried
    assert audited[("POST", 422)]["division_code"] == tried[:11] + "x"
    assert audited[("POST", 422)]["path"] == "/communities"  # as every row: within /v1


def test_an_invalid_clients_file_stops_the_gateway_with_a_clear_message(tmp_path: Path) -> None:
    """Guards: a district entry without a prefix was loaded, and then commanded everywhere."""
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([{"client_id": "lax", "kind": "district",
                                    "key_sha256": "0" * 64}]), "utf-8")  # fmt: skip
    env = {**os.environ, "WUDING_CLIENTS_FILE": str(clients), "WUDING_ENV": "test",
           "WUDING_HTTP_PORT": "1",
           "WUDING_DATABASE_URL": "postgresql://x@127.0.0.1:1/x"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "serve", "gateway"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "entry 0 ('lax')" in done.stderr and "2, 4, 6, 9 or 12 ASCII digits" in done.stderr
    assert "Traceback" not in done.stderr
