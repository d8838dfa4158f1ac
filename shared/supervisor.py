"""Background tasks that never die silently: each runs under a supervisor that restarts it.

A service's loops (relay, projectors, consumers, sweeps) used to be bare asyncio tasks: an
exception nobody anticipated ended one for good while the process kept answering and said it
was ready. Here any exception is logged with its traceback, counted
(`wuding_task_restarts_total`), and the task starts again after a capped exponential backoff.
The backoff sleep waits only for `stop`, never for a wake-up: an append must not cut it short
(that turned one outage into hundreds of retries). A run that lasted `healthy_after` seconds
before failing starts the backoff afresh. `report()` is the health report's `tasks` section.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from shared.observability import metrics

log = structlog.get_logger("wuding.supervisor")

TaskState = Literal["starting", "running", "backing-off", "stopped"]
Loop = Callable[[asyncio.Event], Awaitable[None]]


@dataclass
class TaskStatus:
    state: TaskState = "starting"
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # Unix time
    backoff_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "restarts": self.restarts,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "backoff_seconds": self.backoff_seconds,
        }


class Supervisor:
    """Runs named loops `loop(stop)` until `stop()`; restarts any that raises or returns early."""

    def __init__(
        self,
        service: str,
        *,
        initial_backoff: float = 0.5,
        max_backoff: float = 10.0,
        healthy_after: float = 30.0,
    ) -> None:
        self.service = service
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self._stop = asyncio.Event()
        self._status: dict[str, TaskStatus] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, loop: Loop) -> None:
        if name in self._status:
            raise ValueError(f"a task named {name!r} is already supervised")
        self._status[name] = TaskStatus()
        self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=name))

    def report(self) -> dict[str, dict[str, Any]]:
        return {name: status.as_dict() for name, status in self._status.items()}

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask every loop to end, wait up to `timeout`, then cancel what is left."""
        self._stop.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _supervise(self, name: str, loop: Loop) -> None:
        status = self._status[name]
        try:
            await self._restart_until_stopped(name, loop, status)
        finally:
            status.state = "stopped"

    async def _restart_until_stopped(self, name: str, loop: Loop, status: TaskStatus) -> None:
        backoff = self.initial_backoff
        while not self._stop.is_set():
            status.state = "running"
            started = time.monotonic()
            try:
                await loop(self._stop)
                if self._stop.is_set():
                    return
                raise RuntimeError("the task returned although it was not asked to stop")
            except Exception as exc:
                if time.monotonic() - started >= self.healthy_after:
                    backoff = self.initial_backoff
                status.restarts += 1
                status.last_error = f"{type(exc).__name__}: {exc}"
                status.last_error_at = time.time()
                status.backoff_seconds = backoff
                status.state = "backing-off"
                metrics.TASK_RESTARTS.labels(self.service, name).inc()
                log.error(
                    "task.failed",
                    task=name,
                    error=status.last_error,
                    restarts=status.restarts,
                    backoff_seconds=backoff,
                    exc_info=exc,
                )
                # Only `stop` ends the wait early: nothing else may shorten a backoff.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), backoff)
                backoff = min(backoff * 2, self.max_backoff)
