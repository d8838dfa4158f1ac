"""shared/http_pool.py against a real uvicorn server (stock, and with shared/http_server.py's
protocol): keep-alive, framing, retries, timeouts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.http_pool import HttpPool, HttpPoolError
from shared.http_server import CoalescingHttpToolsProtocol
from shared.stack.embedded import free_port
from tests.integration.asgi_server import read_body, running

Message = dict[str, Any]


async def app(scope: Message, receive: Any, send: Any) -> None:
    """Echoes what it got; /slow waits; /chunked streams its body in three parts."""
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    if scope["path"] == "/slow":
        await asyncio.sleep(1.0)
    echo = {
        "method": scope["method"], "path": scope["path"],
        "query": scope["query_string"].decode(), "client_port": scope["client"][1],
        "headers": {k.decode(): v.decode("latin-1") for k, v in scope["headers"]},
        "body": body.decode(),
    }  # fmt: skip
    payload = json.dumps(echo, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"etag", b'"7"')]
    if scope["path"] == "/chunked":  # no content-length: uvicorn sends chunked encoding
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        third = len(payload) // 3
        for part in (payload[:third], payload[third : 2 * third]):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": payload[2 * third :]})
        return
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


@pytest.fixture(params=["httptools", CoalescingHttpToolsProtocol], ids=["stock", "coalescing"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """uvicorn with its own httptools protocol, and with the one `wuding serve` uses."""
    async with running(app, timeout_keep_alive=1, http=request.param) as url:
        yield url


async def test_requests_reuse_one_keep_alive_connection(server: str) -> None:
    pool = HttpPool(server, timeout_seconds=5)
    first = await pool.request("GET", "/a", headers={"x-actor-id": "zhenhai"})
    second = await pool.request("GET", "/b", params={"as_of": "2025-06-30T00:00:00+08:00"})
    one, two = json.loads(first.body), json.loads(second.body)
    assert (first.status, first.headers["etag"], one["path"]) == (201, '"7"', "/a")
    assert one["headers"]["x-actor-id"] == "zhenhai"
    assert two["query"] == "as_of=2025-06-30T00%3A00%3A00%2B08%3A00"
    assert one["client_port"] == two["client_port"]  # the same connection
    await pool.close()


async def test_a_body_arrives_intact_and_a_chunked_answer_is_whole(server: str) -> None:
    pool = HttpPool(server, timeout_seconds=5)
    sent = json.dumps({"name": "庄市街道勤勇社区"}, ensure_ascii=False).encode()
    echoed = json.loads((await pool.request("POST", "/c", body=sent)).body)
    assert echoed["body"] == sent.decode() and echoed["method"] == "POST"
    assert echoed["headers"]["content-length"] == str(len(sent))
    chunked = await pool.request("GET", "/chunked")
    assert chunked.status == 200 and json.loads(chunked.body)["path"] == "/chunked"
    await pool.close()


async def test_a_connection_the_server_closed_while_idle_is_replaced(server: str) -> None:
    pool = HttpPool(server, timeout_seconds=5)
    before = json.loads((await pool.request("GET", "/a")).body)
    await asyncio.sleep(1.6)  # the server's keep-alive (1 s) ends
    after = json.loads((await pool.request("GET", "/a")).body)
    assert after["client_port"] != before["client_port"]
    await pool.close()


async def test_timeouts_and_refusals_are_errors_and_the_pool_recovers(server: str) -> None:
    pool = HttpPool(server, timeout_seconds=0.3)
    with pytest.raises(HttpPoolError, match=r"no answer within 0\.3 s"):
        await pool.request("GET", "/slow")
    assert (await pool.request("GET", "/a")).status == 201
    nobody = HttpPool(f"http://127.0.0.1:{free_port()}", timeout_seconds=1)
    with pytest.raises(HttpPoolError, match="cannot reach"):
        await nobody.request("GET", "/a")
    with pytest.raises(ValueError, match="line break"):
        await pool.request("GET", "/a", headers={"x-evil": "a\r\nx-injected: 1"})
    await pool.close()


async def test_a_reused_connection_closed_before_answering_is_retried_once() -> None:
    """The keep-alive race: the server drops an idle connection as a request goes out on it."""
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        for answered in range(2):
            await reader.readuntil(b"\r\n\r\n")
            if answered:  # the second request on a connection: close without a word
                break
            body = b'{"n":%d}' % connections
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    pool = HttpPool(f"http://127.0.0.1:{port}", timeout_seconds=5)
    assert (await pool.request("GET", "/")).body == b'{"n":1}'
    assert (await pool.request("GET", "/")).body == b'{"n":2}'  # retried on a new connection
    assert connections == 2
    await pool.close()
    listener.close()
