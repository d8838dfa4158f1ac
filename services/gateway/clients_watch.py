"""The clients file, reloaded while the gateway runs: a rotated API key or a new district takes
effect without a restart.

A Kubernetes Secret mounted as a volume is updated in place (within the kubelet's sync period,
about a minute), so the gateway watches the file's content rather than waiting for a signal:
every `interval` seconds it hashes the bytes, and on a change validates the whole file
(ClientDirectory.from_file) before swapping it in with one assignment. A file that does not
validate changes nothing — the clients in use stay, the reason is logged — until a valid one
replaces it: a typo in a rotation never locks every district out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path

import structlog

from services.gateway.auth import ClientDirectory, InvalidClientsFile

log = structlog.get_logger("wuding.gateway")


def _digest(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None  # being replaced, or gone: treated as a change once it reads again


class ClientsWatch:
    def __init__(
        self, path: Path, apply: Callable[[ClientDirectory], None], interval: float
    ) -> None:
        self.path, self.apply, self.interval = path, apply, interval
        self._seen = _digest(path)  # the content the gateway started with

    def check(self) -> bool:
        """Reload if the content changed; whether clients were swapped."""
        digest = _digest(self.path)
        if digest is None or digest == self._seen:
            return False
        self._seen = digest  # an invalid file is reported once, not every interval
        try:
            clients = ClientDirectory.from_file(self.path)
        except InvalidClientsFile as exc:
            log.error("gateway.clients_file_refused", reason=str(exc), kept="the clients in use")
            return False
        self.apply(clients)
        log.info("gateway.clients_reloaded", clients=len(clients))
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """The supervised loop: check every `interval` seconds until `stop`."""
        while not stop.is_set():
            self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
