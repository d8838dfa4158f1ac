"""A district system under faults: registrations through the gateway, each with its own
Idempotency-Key, retried with the same key on 503, on connection errors and while the key is
still in flight (409 `idempotency-key-in-flight`: "retry shortly"), at a bounded rate and
concurrency, every answer recorded."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from tests.faults.stack import DISTRICT_PREFIX

RETRYABLE = "503"
IN_FLIGHT = "urn:wuding:problem:idempotency-key-in-flight"


@dataclass
class Command:
    index: int
    division: str
    key: str
    answers: list[str] = field(default_factory=list)  # status codes, or "connection:<error>"
    code: str | None = None  # the community code a 2xx answer issued
    in_flight: bool = False  # the last answer was a 409 for a key still in flight

    @property
    def final(self) -> str:
        return self.answers[-1] if self.answers else "never sent"

    @property
    def accepted(self) -> bool:
        return self.final.startswith("2")


def registration(division: str) -> dict[str, object]:
    return {
        "name": "勤勇社区",
        "division_code": division,
        "major_type": "urban",
        "subtype": "老城区社区",
        "households": 2860,
        "residents": 7420,
        "area_km2": "1.35",
    }


class DistrictLoad:
    def __init__(
        self,
        gateway: str,
        key: str,
        *,
        max_commands: int,
        interval: float,
        workers: int,
        give_up_after: float,
    ) -> None:
        self.gateway, self.key = gateway, key
        self.max_commands, self.interval, self.workers = max_commands, interval, workers
        self.give_up_after = give_up_after  # per command, from its first attempt
        self.commands: list[Command] = []
        self.refusals: Counter[str] = Counter()  # "<status> <problem title>" of each 4xx/5xx
        self._issuing = True
        self._divisions: set[str] = set()
        self._random = random.Random(20261201)

    def stop_issuing(self) -> None:
        """No new commands; those under way still retry until answered or given up."""
        self._issuing = False

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=self.workers)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            start = asyncio.get_running_loop().time()
            await asyncio.gather(*(self._worker(http, start) for _ in range(self.workers)))

    def histogram(self) -> Counter[str]:
        return Counter(answer for c in self.commands for answer in c.answers)

    def _next(self) -> Command | None:
        if not self._issuing or len(self.commands) >= self.max_commands:
            return None
        while True:  # a fresh division each time: the registry refuses a second registration
            division = DISTRICT_PREFIX + "".join(self._random.choices("123456789", k=6))
            if division not in self._divisions:
                self._divisions.add(division)
                break
        command = Command(len(self.commands), division, f"faults-{len(self.commands):05d}")
        self.commands.append(command)
        return command

    async def _worker(self, http: aiohttp.ClientSession, start: float) -> None:
        loop = asyncio.get_running_loop()
        while (command := self._next()) is not None:
            # Command i is not sent before start + i * interval: the load spans every fault.
            await asyncio.sleep(max(0.0, start + command.index * self.interval - loop.time()))
            await self._send(http, command)

    async def _send(self, http: aiohttp.ClientSession, command: Command) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.give_up_after
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": command.key}
        while True:
            answer = await self._attempt(http, command, headers)
            command.answers.append(answer)
            retry = answer == RETRYABLE or answer.startswith("connection:") or command.in_flight
            if not retry or loop.time() > deadline:
                return
            await asyncio.sleep(0.5)

    async def _attempt(
        self, http: aiohttp.ClientSession, command: Command, headers: dict[str, str]
    ) -> str:
        try:
            async with http.post(
                f"{self.gateway}/v1/communities",
                json=registration(command.division),
                headers=headers,
            ) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"connection:{type(exc).__name__}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        command.in_flight = isinstance(body, dict) and body.get("type") == IN_FLIGHT
        if 200 <= status < 300:
            if not isinstance(body, dict) or "code" not in body:
                return f"{status}:no code in the body"
            command.code = body["code"]
        else:  # which 409 or 5xx it was: a stuck Idempotency-Key and a conflict are both 409
            title = (
                body.get("title") if isinstance(body, dict) else raw[:80].decode(errors="replace")
            )
            self.refusals[f"{status} {title}"] += 1
        return str(status)
