"""The supervisor: a background task that fails is logged, counted and restarted with a capped
backoff, and its state is in the health report (shared/supervisor.py)."""

from __future__ import annotations

import asyncio
import itertools

from prometheus_client import REGISTRY

from shared.supervisor import Supervisor


def restarts_metric(service: str, task: str) -> float:
    value = REGISTRY.get_sample_value(
        "wuding_task_restarts_total", {"service": service, "task": task}
    )
    return value or 0.0


async def test_a_failing_task_restarts_with_doubling_capped_backoff_and_reports_it() -> None:
    """Guards: an exception nobody anticipated no longer ends a background task for good
    (the relay ended on InterfaceError and on AssertionError while /readyz said ready)."""
    supervisor = Supervisor("svc-unit-1", initial_backoff=0.02, max_backoff=0.05)
    started: list[float] = []
    loop = asyncio.get_running_loop()

    async def flaky(stop: asyncio.Event) -> None:
        started.append(loop.time())
        if len(started) <= 4:
            raise AssertionError(f"failure {len(started)}")
        await stop.wait()

    supervisor.start("flaky", flaky)
    while len(started) < 5:  # noqa: ASYNC110 - polling what the supervisor does is the point
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.01)
    report = supervisor.report()["flaky"]
    assert report["state"] == "running"
    assert report["restarts"] == 4
    assert report["last_error"] == "AssertionError: failure 4"
    assert report["backoff_seconds"] == 0.05  # 0.02, 0.04, then capped at 0.05
    waits = [b - a for a, b in itertools.pairwise(started)]
    assert waits[0] >= 0.02 and waits[1] >= 0.04 and waits[3] >= 0.05
    assert restarts_metric("svc-unit-1", "flaky") == 4
    await supervisor.stop()
    assert supervisor.report()["flaky"]["state"] == "stopped"


async def test_a_task_that_returns_before_stop_is_restarted_too() -> None:
    """Guards: a loop that quietly returns is as dead as one that raised."""
    supervisor = Supervisor("svc-unit-2", initial_backoff=0.01, max_backoff=0.01)
    runs = 0

    async def returns_early(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        if runs > 2:
            await stop.wait()

    supervisor.start("quitter", returns_early)
    while runs < 3:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    report = supervisor.report()["quitter"]
    assert report["restarts"] == 2 and "returned" in report["last_error"]
    await supervisor.stop()


async def test_stop_ends_a_backoff_at_once_and_cancels_a_task_that_ignores_it() -> None:
    """Guards: shutting down is not delayed by a long backoff or a loop that never returns."""
    supervisor = Supervisor("svc-unit-3", initial_backoff=60, max_backoff=60)

    async def fails(stop: asyncio.Event) -> None:
        raise OSError("down")

    async def ignores_stop(stop: asyncio.Event) -> None:
        await asyncio.sleep(3600)

    supervisor.start("fails", fails)
    supervisor.start("stubborn", ignores_stop)
    await asyncio.sleep(0.05)
    assert supervisor.report()["fails"]["state"] == "backing-off"
    loop = asyncio.get_running_loop()
    began = loop.time()
    await supervisor.stop(timeout=0.2)
    assert loop.time() - began < 1.0
    assert supervisor.report()["fails"]["state"] == "stopped"


async def test_a_run_that_was_healthy_for_a_while_starts_the_backoff_afresh() -> None:
    """Guards: one failure a day does not inherit yesterday's maximum backoff."""
    supervisor = Supervisor("svc-unit-4", initial_backoff=0.01, max_backoff=1.0, healthy_after=0.03)
    runs = 0

    async def fails_after_a_while(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.04)
        raise ConnectionError("dropped")

    supervisor.start("steady", fails_after_a_while)
    while runs < 4:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    assert supervisor.report()["steady"]["backoff_seconds"] == 0.01
    await supervisor.stop()
