"""shared/hot_routes.py: a hot route answers its plain success itself and hands the rest on."""

from __future__ import annotations

import re
from typing import Any

from shared.hot_routes import HotResponse, HotRoute, HotRoutes


async def answer(scope: dict[str, Any], match: re.Match[str]) -> HotResponse | None:
    if match["id"] == "7":
        return HotResponse(200, b'{"id":"7"}', headers=[(b"etag", b'"3"')])
    if match["id"] == "9":
        raise ConnectionError("database down")
    return None


ROUTE = HotRoute("GET", "/things/{id}", re.compile(r"/things/(?P<id>\d+)"), answer)


async def call(method: str, path: str, query: bytes = b"") -> tuple[list[str], list[Any], dict]:
    passed: list[str] = []
    sent: list[Any] = []
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path,
                             "query_string": query, "headers": []}  # fmt: skip

    async def app(scope: Any, receive: Any, send: Any) -> None:
        passed.append(scope["path"])

    async def send(message: Any) -> None:
        sent.append(message)

    await HotRoutes(app, [ROUTE])(scope, None, send)  # type: ignore[arg-type]
    return passed, sent, scope


async def test_the_plain_success_is_answered_without_the_app() -> None:
    passed, sent, scope = await call("GET", "/things/7")
    assert passed == []
    start, body = sent
    assert start["status"] == 200
    assert dict(start["headers"]) == {
        b"content-type": b"application/json",
        b"content-length": b"10",
        b"etag": b'"3"',
    }
    assert body["body"] == b'{"id":"7"}'
    assert scope["route"].path == "/things/{id}"  # the latency metric's route label


async def test_everything_else_goes_to_the_app() -> None:
    for method, path, query in (
        ("GET", "/things/8", b""),  # the handler declines
        ("GET", "/things/7", b"as_of=2025-06-30"),  # a query string
        ("POST", "/things/7", b""),  # another method
        ("GET", "/things/7/history", b""),  # another path
    ):
        passed, sent, scope = await call(method, path, query)
        assert passed == [path] and sent == [] and "route" not in scope, (method, path, query)


async def test_a_failing_handler_is_answered_once_never_handed_to_the_app() -> None:
    """Guards issue 8 §4: a hot handler that failed (its forward or query already made) used
    to hand the request to the app, which made the same call again (two calls, twice the
    timeout). Now the failure is answered there, with the app's own problem: a database or
    service that is down is a 503 with Retry-After."""
    passed, sent, scope = await call("GET", "/things/9")
    assert passed == []
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 503 and headers[b"retry-after"] == b"5"
    assert headers[b"content-type"] == b"application/problem+json"
    assert b"dependency-unavailable" in body["body"]
    assert scope["route"].path == "/things/{id}"
