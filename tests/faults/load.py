"""A district system under faults: registrations through the gateway, each with its own
Idempotency-Key, retried with the same key on 503, on connection errors and while the key is
still in flight (409 `idempotency-key-in-flight`: "retry shortly"), at a bounded rate and
concurrency, every answer recorded; every third community is an industrial one, whose funding
lines the funding service sets, and `FundingLoad` appropriates a part of each of those lines
as they appear (a posting with its own Idempotency-Key, retried the same way)."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from shared.values import BEIJING
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


EMPLOYED = 8_000  # an industrial community's employed population (its funding line's input)
APPROPRIATED_FEN = 123_456  # what each of FundingLoad's postings appropriates of a line
POSTINGS, POSTING_GAP = 4, 2.0  # appropriations per industrial line, seconds apart


def is_industrial(index: int) -> bool:
    return index % 3 == 0


def registration(division: str, industrial: bool = False) -> dict[str, object]:
    if industrial:
        return {
            "name": "澥浦工业社区", "division_code": division, "major_type": "industrial",
            "subtype": "工业社区", "households": 0, "residents": 0, "area_km2": "2.10",
            "employed_population": EMPLOYED,
        }  # fmt: skip
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
                json=registration(command.division, is_industrial(command.index)),
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


@dataclass
class Posting:
    """The appropriations of one community's line: each one's answers, in order."""

    code: str
    answers: list[list[str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """How many were answered 2xx."""
        return sum(1 for answers in self.answers if answers and answers[-1].startswith("2"))


class FundingLoad:
    """For every industrial community the district load registered: wait (through the faults)
    until funding shows its operating line, then appropriate APPROPRIATED_FEN of the district's
    part POSTINGS times, POSTING_GAP seconds apart, each with its own Idempotency-Key retried on
    503, connection errors and a key in flight."""

    def __init__(self, gateway: str, key: str, registrations: DistrictLoad) -> None:
        self.gateway, self.key, self.registrations = gateway, key, registrations
        self.postings: dict[str, Posting] = {}
        self.answers: Counter[str] = Counter()  # of the postings and of the reads before them
        self._done = asyncio.Event()

    def stop(self) -> None:
        self._done.set()

    async def run(self, give_up_after: float) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            started: set[str] = set()
            tasks = []
            while not self._done.is_set():
                for command in self.registrations.commands:
                    if (
                        command.code
                        and is_industrial(command.index)
                        and command.code not in started
                    ):
                        started.add(command.code)
                        tasks.append(
                            asyncio.create_task(self._post(http, command.code, give_up_after))
                        )
                await asyncio.sleep(0.5)
            await asyncio.gather(*tasks)

    async def _post(self, http: aiohttp.ClientSession, code: str, give_up_after: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up_after
        headers = {"Authorization": f"Bearer {self.key}"}
        while loop.time() < deadline:  # the line is there once funding followed the registry
            status = await self._status(http, "GET", f"/communities/{code}/funding", headers)
            if status == "200" and await self._has_line(http, code, headers):
                break
            await asyncio.sleep(0.5)
        posting = self.postings[code] = Posting(code)
        body = {"code": code, "year": datetime.now(BEIJING).year, "kind": "appropriate",
                "line": "industrial_operating", "payer": "district",
                "amount_fen": APPROPRIATED_FEN}  # fmt: skip
        for n in range(POSTINGS):  # spread out, so that some meet a fault
            answers: list[str] = []
            posting.answers.append(answers)
            keyed = headers | {"Idempotency-Key": f"faults-post-{code}-{n}"}
            while loop.time() < deadline:
                answer = await self._status(http, "POST", "/funding/postings", keyed, body)
                answers.append(answer)
                if answer not in (RETRYABLE, "409") and not answer.startswith("connection:"):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(POSTING_GAP)

    async def _has_line(
        self, http: aiohttp.ClientSession, code: str, headers: dict[str, str]
    ) -> bool:
        try:
            async with http.get(
                f"{self.gateway}/v1/communities/{code}/funding", headers=headers
            ) as r:
                body = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return any(line.get("line") == "industrial_operating" for line in body.get("lines", []))

    async def _status(
        self, http: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str],
        body: object = None,
    ) -> str:  # fmt: skip
        try:
            async with http.request(method, f"{self.gateway}/v1{path}", json=body,
                                    headers=headers) as response:  # fmt: skip
                await response.read()
                answer = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            answer = f"connection:{type(exc).__name__}"
        self.answers[f"{method} {answer}"] += 1
        return answer
