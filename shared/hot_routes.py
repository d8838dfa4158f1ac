"""Hot reads answered beneath the web framework, for the one request a service serves most.

A read of one community is the platform's most frequent request. Under load, a profile of the
registry put ~60% of its CPU in FastAPI's routing, request building and dependency solving,
and ~20% in the read itself (docs/performance.md). A hot route answers that request's ordinary
case in plain ASGI, inside RequestContextMiddleware (so request and correlation ids, the trace
span and the latency metric are the same as for every other request), and hands everything else
to the app unchanged: a handler returns None for anything but the plain success (a bad code, an
unknown key, a missing row, a query string such as `as_of`), and the app then answers it with
the usual problem+json. So the hot route adds no behaviour, only a shorter way to the same
answer; the e2e tests run through it.

A handler that raises has already done its work (a forward, a query) and failed: that failure
is answered here, with the same problem the app would give (shared.http.problem_for), never by
handing the request to the app to do it all a second time (two calls, twice the timeout).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http import problem_for


@dataclass(frozen=True)
class HotResponse:
    status: int
    body: bytes
    content_type: bytes = b"application/json"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


# (scope, the path's match) → the answer, or None to let the app answer.
HotHandler = Callable[[Scope, re.Match[str]], Awaitable[HotResponse | None]]


@dataclass(frozen=True)
class HotRoute:
    method: str
    path: str  # the route template, as FastAPI names it: the metrics label
    pattern: re.Pattern[str]
    handler: HotHandler


class HotRoutes:
    """Pure ASGI middleware; add it before RequestContextMiddleware so that one wraps it."""

    def __init__(self, app: ASGIApp, routes: Sequence[HotRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["query_string"]:
            for route in self.routes:
                if scope["method"] != route.method:
                    continue
                match = route.pattern.fullmatch(scope["path"])
                if match is None:
                    continue
                try:
                    answer = await route.handler(scope, match)
                except Exception as exc:
                    scope["route"] = route
                    await problem_for(exc)(scope, receive, send)
                    return
                if answer is not None:
                    scope["route"] = route
                    await _send(send, answer)
                    return
                break
        await self.app(scope, receive, send)


async def _send(send: Send, answer: HotResponse) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
