"""PostgreSQL restarts under the gateway and the registry (issue 8 §3): every answer during the
outage is a 503 problem with Retry-After, never a 500; nothing is half-done; both recover.

The tests stop and start a PRIVATE PostgreSQL server (this module's own), so the session's
server, which every other test uses, is never disturbed. On it: the registry's database and the
database of gateway "B"; gateway "A" keeps its database on the session's server. So with the
private server down, A shows a service whose database is down, B a gateway whose own is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import asyncpg
import pytest

from services.gateway.app import create_app as gateway_app
from services.gateway.auth import hash_key, new_key
from services.gateway.settings import GatewaySettings
from services.registry.app import create_app as registry_app
from shared.settings import KernelSettings
from shared.stack.embedded import EmbeddedPostgres, free_port
from tests.conftest import Stack, new_database
from tests.e2e.conftest import community, new_division, serve

PROBLEM = "application/problem+json"


@dataclass
class Outage:
    postgres: EmbeddedPostgres
    registry: str
    gateway_a: str  # its own database stays up
    gateway_b: str  # its own database is on the private server
    gateway_a_db: str
    auth: dict[str, str]
    other_auth: dict[str, str]
    http: aiohttp.ClientSession


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    postgres = EmbeddedPostgres(tmp_path_factory.mktemp("outage-pg") / "data", free_port())
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.stop()


@pytest.fixture(scope="module")
async def outage(
    stack: Stack, private_postgres: EmbeddedPostgres, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Outage]:
    private = Stack(private_postgres.admin_url, stack.bootstrap_servers, None)
    key, other = new_key(), new_key()
    clients = Path(tmp_path_factory.mktemp("outage-gw")) / "clients.json"
    clients.write_text(json.dumps([
        {"client_id": "zhenhai", "kind": "district", "division_prefix": "330211",
         "key_sha256": hash_key(key)},
        {"client_id": "yinzhou", "kind": "district", "division_prefix": "330212",
         "key_sha256": hash_key(other)},
    ]), "utf-8")  # fmt: skip
    registry_port, port_a, port_b = free_port(), free_port(), free_port()
    registry = registry_app(KernelSettings(
        env="test", service="registry", database_url=await new_database(private, "registry"),
        kafka_bootstrap_servers=stack.bootstrap_servers, relay_enabled=False,
        poll_interval_seconds=0.05,
    ))  # fmt: skip
    gateway_a_db = await new_database(stack, "gateway")

    def gateway(db: str) -> Any:
        return gateway_app(GatewaySettings(
            env="test", database_url=db, clients_file=clients, forward_timeout_seconds=5,
            registry_url=f"http://127.0.0.1:{registry_port}",
        ))  # fmt: skip

    servers = [
        await serve(registry, registry_port),
        await serve(gateway(gateway_a_db), port_a),
        await serve(gateway(await new_database(private, "gateway")), port_b),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            yield Outage(
                private_postgres, f"http://127.0.0.1:{registry_port}",
                f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", gateway_a_db,
                {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {other}"}, http,
            )  # fmt: skip
    finally:
        for server, task in reversed(servers):
            server.should_exit = True
            with contextlib.suppress(Exception):
                await task


async def call(o: Outage, method: str, url: str, headers: Any = None, body: Any = None
               ) -> tuple[int, dict[str, str], Any]:  # fmt: skip
    async with o.http.request(method, url, headers=headers, json=body) as r:
        return r.status, dict(r.headers), await r.json(content_type=None)


def assert_unavailable(answer: tuple[int, dict[str, str], Any], what: str) -> None:
    status, headers, problem = answer
    assert status == 503, (what, answer)
    assert headers["Content-Type"] == PROBLEM and int(headers["Retry-After"]) > 0, (what, answer)
    assert problem["status"] == 503 and "internal-error" not in problem["type"], (what, answer)


async def until_accepted(o: Outage, url: str, headers: dict[str, str], body: Any) -> Any:
    """Retry as a client would (same Idempotency-Key) while the database comes back: 503s are
    expected for a moment, a 500 never."""
    deadline = time.monotonic() + 60
    while True:
        status, response_headers, answer = await call(o, "POST", url, headers, body)
        if status in (201, 202):
            return answer
        assert status == 503 and "Retry-After" in response_headers, (status, answer)
        assert time.monotonic() < deadline, "no recovery within 60 s"
        await asyncio.sleep(0.5)


async def test_a_postgresql_restart_answers_503_with_retry_after_then_recovers(
    outage: Outage,
) -> None:
    """Guards: a PostgreSQL restart gave clients 500 internal-error (ConnectionRefusedError,
    CannotConnectNowError, "another operation is in progress"), from the gateway's own database
    calls and the registry's. Now: 503 + Retry-After, the idempotency key freed, the audit row
    written where its database is up, the refusal still answered where it is not, and the
    retry with the same key goes through once the server is back."""
    o = outage
    status, _, body = await call(o, "POST", f"{o.gateway_a}/v1/communities", o.auth,
                                 community(new_division()))  # fmt: skip
    assert status == 201, body
    code = body["code"]
    await asyncio.to_thread(o.postgres.stop)
    key_a, key_b = f"outage-{uuid4()}", f"outage-{uuid4()}"
    division_a, division_b = new_division(), new_division()
    try:
        # The registry itself, its database down.
        assert_unavailable(await call(o, "GET", f"{o.registry}/communities/{code}"), "registry")
        assert_unavailable(await call(o, "GET", f"{o.registry}/communities/{code}/history"),
                           "registry app path")  # fmt: skip
        # Gateway A: its database up, the registry's down.
        for path in (f"/v1/communities/{code}", f"/v1/communities/{code}/history"):
            assert_unavailable(await call(o, "GET", o.gateway_a + path, o.auth), path)
        assert_unavailable(await call(o, "POST", f"{o.gateway_a}/v1/communities",
                                      o.auth | {"Idempotency-Key": key_a},
                                      community(division_a)), "command via A")  # fmt: skip
        # Gateway B: its own database down too.
        assert_unavailable(await call(o, "POST", f"{o.gateway_b}/v1/communities",
                                      o.auth | {"Idempotency-Key": key_b},
                                      community(division_b)), "command via B")  # fmt: skip
        assert_unavailable(await call(o, "GET", f"{o.gateway_b}/v1/communities/{code}", o.auth),
                           "read via B")  # fmt: skip
        # A refusal is still a refusal when its audit row cannot be written (it is logged).
        refused = await call(o, "GET", f"{o.gateway_b}/v1/communities/{code}", o.other_auth)
        assert refused[0] == 403, refused
        assert (await call(o, "GET", f"{o.gateway_b}/readyz"))[0] == 503
    finally:
        await asyncio.to_thread(o.postgres.start)
    conn = await asyncpg.connect(o.gateway_a_db)
    try:
        audited = await conn.fetchval(
            "SELECT status FROM command_audit WHERE idempotency_key = $1", key_a
        )
        held = await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key_a)
    finally:
        await conn.close()
    assert audited == 503 and held == 0  # audited, and the key freed for the retry
    retry = o.auth | {"Idempotency-Key": key_a}
    first = await until_accepted(o, f"{o.gateway_a}/v1/communities", retry, community(division_a))
    again = await until_accepted(o, f"{o.gateway_a}/v1/communities", retry, community(division_a))
    assert again["code"] == first["code"]  # the retry replays; one registration
    await until_accepted(o, f"{o.gateway_b}/v1/communities", o.auth | {"Idempotency-Key": key_b},
                         community(division_b))  # fmt: skip
    status, _, body = await call(o, "GET", f"{o.gateway_b}/v1/communities/{code}", o.auth)
    assert status == 200 and body["code"] == code


async def test_the_hot_read_path_calls_a_failing_registry_once(
    stack: Stack, tmp_path: Path
) -> None:
    """Guards: when the registry failed, the hot read path handed the request to the app, which
    forwarded it a second time (two calls, twice the timeout: 20 s per read in an outage)."""
    received: list[bytes] = []

    async def failing_registry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()  # no answer: the connection closes, as a crashing process's would

    stub = await asyncio.start_server(failing_registry, "127.0.0.1", 0)
    stub_port = stub.sockets[0].getsockname()[1]
    key = new_key()
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([{"client_id": "zhenhai", "kind": "district",
                                    "division_prefix": "330211", "key_sha256": hash_key(key)}]),
                       "utf-8")  # fmt: skip
    port = free_port()
    server, task = await serve(gateway_app(GatewaySettings(
        env="test", database_url=await new_database(stack, "gateway"), clients_file=clients,
        registry_url=f"http://127.0.0.1:{stub_port}", forward_timeout_seconds=2,
    )), port)  # fmt: skip
    try:
        from shared.community_code import issue_code

        code = issue_code(new_division(), "urban")
        async with aiohttp.ClientSession() as http:
            for path in (f"/v1/communities/{code}", f"/v1/communities/{code}/history"):
                received.clear()
                async with http.get(f"http://127.0.0.1:{port}{path}",
                                    headers={"Authorization": f"Bearer {key}"}) as r:  # fmt: skip
                    status, headers = r.status, r.headers
                assert len(received) == 1, (path, received)  # one call, one answer
                assert status == 503 and headers["Content-Type"] == PROBLEM
                assert headers["Retry-After"]
    finally:
        server.should_exit = True
        await task
        stub.close()
