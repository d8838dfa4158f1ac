"""Adding a service to the gateway is adding it to the topology (issue 9 §4).

A "ledger" service that the gateway has never heard of (a stub served over real HTTP, with its
contract in this module) is added to services/topology.py's table; the gateway, on the
session's real PostgreSQL, then serves its routes with the same generic scope, idempotency,
If-Match, audit and hot-read path as the registry's, and documents them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from services import topology
from services.gateway.app import create_app as gateway_app
from services.gateway.auth import hash_key, new_key
from services.gateway.settings import GatewaySettings
from shared.errors import FieldProblem, ValidationFailed
from shared.eventstore.catalog import EventCatalog
from shared.service_contract import PathCode, Route, ServiceContract
from shared.stack.embedded import free_port
from tests.conftest import Stack, new_database
from tests.e2e.conftest import serve

PROBLEM = "application/problem+json"
CODE = "33021100100110001"  # 17 digits under zhenhai's prefix
OTHER = "33021200100110001"  # under yinzhou's


class Ledger(BaseModel):
    code: str
    entries: int
    actor: str


class Entry(BaseModel):
    amount: int = Field(ge=1)


def ledger_code(code: str) -> str:
    if len(code) != 17 or not code.isascii() or not code.isdigit():
        raise ValidationFailed("not a ledger code", errors=[FieldProblem("code", "17 digits")])
    return code


LEDGER = PathCode("code", ledger_code, r"[0-9]{17}")
CONTRACT = ServiceContract(
    "ledger",
    (
        Route("get_ledger", "GET", "/ledgers/{code}", "read", LEDGER, Ledger, "A ledger",
              ("ledger",), hot=True),
        Route("add_entry", "POST", "/ledgers/{code}/entries", "command", LEDGER, Ledger,
              "Add an entry", ("ledger",), request_model=Entry, status_code=201, if_match=True),
    ),
    lambda: EventCatalog(source="/wuding/ledger"),
)  # fmt: skip


def ledger_service(seen: list[tuple[str, str, dict[str, str]]]) -> FastAPI:
    """The stub: it answers from what it was sent and records every request."""
    app = FastAPI()
    entries: dict[str, int] = {}

    @app.get("/ledgers/{code}")
    async def read(code: str, request: Request) -> Ledger:
        seen.append(("GET", request.url.path, dict(request.headers)))
        return Ledger(code=code, entries=entries.get(code, 0), actor=request.headers["x-actor-id"])

    @app.post("/ledgers/{code}/entries", status_code=201)
    async def add(code: str, entry: Entry, request: Request) -> Ledger:
        seen.append(("POST", request.url.path, dict(request.headers)))
        entries[code] = entries.get(code, 0) + entry.amount
        return Ledger(code=code, entries=entries[code], actor=request.headers["x-actor-id"])

    return app


@dataclass
class Setup:
    gateway: str
    gateway_db: str
    seen: list[tuple[str, str, dict[str, str]]]
    keys: dict[str, str]
    http: aiohttp.ClientSession

    def auth(self, client: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[client]}"}


@pytest.fixture
async def ledger(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Setup]:
    seen: list[tuple[str, str, dict[str, str]]] = []
    service_port, gateway_port = free_port(), free_port()
    # The one change that adds the service to the gateway: its entry in the topology.
    spec = topology.ServiceSpec(
        "ledger", "-", "-", service_port, False, "tests.e2e.test_gateway_contracts"
    )
    monkeypatch.setitem(topology.SERVICES, "ledger", spec)
    keys = {name: new_key() for name in ("zhenhai", "city")}
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([
        {"client_id": "zhenhai", "kind": "district", "division_prefix": "330211",
         "key_sha256": hash_key(keys["zhenhai"])},
        {"client_id": "city", "kind": "city", "key_sha256": hash_key(keys["city"])},
    ]), "utf-8")  # fmt: skip
    gateway_db = await new_database(stack, "gateway")
    settings = GatewaySettings(env="test", database_url=gateway_db, clients_file=clients)
    servers = [
        await serve(ledger_service(seen), service_port),
        await serve(gateway_app(settings), gateway_port),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            yield Setup(f"http://127.0.0.1:{gateway_port}", gateway_db, seen, keys, http)
    finally:
        for server, task in reversed(servers):
            server.should_exit = True
            await task


async def test_a_service_in_the_topology_is_served_scoped_and_documented(
    ledger: Setup,
) -> None:
    """Guards: a service reachable through the gateway only by hand-written routes. With a
    topology entry alone its reads are scoped (hot path included), its commands idempotent and
    audited, its bad input a problem that never reaches it, and its routes in the OpenAPI."""
    g, seen = ledger.gateway, ledger.seen
    async with ledger.http.get(f"{g}/v1/ledgers/{CODE}", headers=ledger.auth("zhenhai")) as r:
        assert r.status == 200 and await r.json() == {"code": CODE, "entries": 0,
                                                      "actor": "zhenhai"}  # fmt: skip
    assert seen[-1][2]["x-district"] == "330211"
    for path, client, status in ((f"/v1/ledgers/{OTHER}", "zhenhai", 403),
                                 ("/v1/ledgers/123", "zhenhai", 422),
                                 (f"/v1/ledgers/{CODE}", "nobody", 401)):  # fmt: skip
        before = len(seen)
        headers = ledger.auth(client) if client in ledger.keys else {"Authorization": "Bearer x"}
        async with ledger.http.get(g + path, headers=headers) as r:
            assert (r.status, r.content_type) == (status, PROBLEM), path
        assert len(seen) == before  # refused at the gateway: the service never saw it

    command = ledger.auth("zhenhai") | {"Idempotency-Key": "ledger-entry-1", "If-Match": '"0"'}
    answers = []
    for _ in range(2):
        async with ledger.http.post(f"{g}/v1/ledgers/{CODE}/entries", headers=command,
                                    json={"amount": 5}) as r:  # fmt: skip
            answers.append((r.status, await r.json(), r.headers.get("Idempotent-Replayed")))
    assert answers[0] == (201, {"code": CODE, "entries": 5, "actor": "zhenhai"}, None)
    assert answers[1] == (201, answers[0][1], "true")  # replayed, not sent twice
    posts = [s for s in seen if s[0] == "POST"]
    assert len(posts) == 1 and posts[0][2]["if-match"] == '"0"' and posts[0][2]["x-command-id"]

    for body, client, status in (({"amount": 0}, "zhenhai", 422), ({"amount": 1}, "city", 403)):
        async with ledger.http.post(f"{g}/v1/ledgers/{CODE}/entries", json=body,
                                    headers=ledger.auth(client)) as r:  # fmt: skip
            assert (r.status, r.content_type) == (status, PROBLEM)
    assert len([s for s in seen if s[0] == "POST"]) == 1

    conn = await asyncpg.connect(ledger.gateway_db)
    try:
        audited = await conn.fetch(
            "SELECT client_id, method, status, division_code FROM command_audit"
            " WHERE path = $1 ORDER BY id",
            f"/ledgers/{CODE}/entries",
        )
    finally:
        await conn.close()
    assert [tuple(row) for row in audited] == [
        ("zhenhai", "POST", 201, "330211001001"),
        ("zhenhai", "POST", 422, None),
        ("city", "POST", 403, "330211001001"),
    ]

    async with ledger.http.get(f"{g}/openapi.json") as r:
        paths = (await r.json())["paths"]
    assert paths["/v1/ledgers/{code}"]["get"]["summary"] == "A ledger"
    assert "post" in paths["/v1/ledgers/{code}/entries"]
    assert "/v1/communities/{code}" in paths  # the registry's routes are still there
    async with ledger.http.get(f"{g}/v1/contracts/asyncapi.json",
                               headers=ledger.auth("city")) as r:  # fmt: skip
        assert "ledger.events" in str((await r.json())["channels"])
