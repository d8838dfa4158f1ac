"""The gateway's composition root: clients, idempotency store, audit and forwarders."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg
import structlog

from services.gateway.auth import ClientDirectory
from services.gateway.clients_watch import ClientsWatch
from services.gateway.forward import Forwarder
from services.gateway.idempotency import SWEEP_BATCH, IdempotencyStore
from services.gateway.settings import GatewaySettings
from services.topology import SERVICES
from shared.db import create_pool
from shared.errors import DependencyUnavailable
from shared.http import dependency_down
from shared.supervisor import Supervisor
from shared.values import storable

log = structlog.get_logger("wuding.gateway")


class AuditUnavailable(DependencyUnavailable):
    slug = "audit-unavailable"
    title = "The read cannot be audited now, so it is not answered"


class Gateway:
    def __init__(
        self, settings: GatewaySettings, pool: asyncpg.Pool, clients: ClientDirectory
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.clients = clients
        self.idempotency = IdempotencyStore(pool, settings.idempotency_ttl_hours)
        # One forwarder per service with a contract (services/topology.py).
        self.forwarders = {
            spec.name: Forwarder(
                spec.name, settings.service_url(spec), settings.forward_timeout_seconds
            )
            for spec in SERVICES.values()
            if spec.contract
        }
        self.supervisor = Supervisor(
            settings.service,
            initial_backoff=settings.task_backoff_initial_seconds,
            max_backoff=settings.task_backoff_max_seconds,
        )

    async def start(self) -> None:
        for forwarder in self.forwarders.values():
            await forwarder.start()
        self.supervisor.start("idempotency-sweep", self._sweep_idempotency_keys)
        if self.settings.clients_file is not None:
            watch = ClientsWatch(
                self.settings.clients_file, self._use_clients, self.settings.clients_reload_seconds
            )
            self.supervisor.start("clients-file", watch.run)

    def _use_clients(self, clients: ClientDirectory) -> None:
        """The clients every request from now on is authenticated against (one assignment)."""
        self.clients = clients

    async def stop(self) -> None:
        await self.supervisor.stop()
        for forwarder in self.forwarders.values():
            await forwarder.close()
        await self.pool.close()

    async def health(self) -> dict[str, Any]:
        """The health report's sections, by name (see shared/http.py)."""
        return {"tasks": self.supervisor.report()}

    async def _sweep_idempotency_keys(self, stop: asyncio.Event) -> None:
        """Every few minutes, delete expired idempotency keys (in batches, so briefly). A
        failure (database down) is the supervisor's to log, count and retry with backoff."""
        while not stop.is_set():
            swept = SWEEP_BATCH
            while swept == SWEEP_BATCH:  # a full batch: there may be more
                swept = await self.idempotency.sweep_expired()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.idempotency_sweep_seconds)

    async def ping_database(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def audit_command(
        self,
        *,
        client_id: str,
        client_kind: str,
        method: str,
        path: str,
        status: int,
        correlation_id: str | None,
        command_id: object,
        idempotency_key: str | None,
        refusal: dict[str, Any] | None = None,
        division_code: str | None = None,
        purpose: str | None = None,
        required: bool = False,
    ) -> None:
        """One audit row: every command, and every request the gateway refused (reads too).

        When the gateway's database is down the row cannot be written; it is logged whole
        instead (nothing in it is secret), and the caller's answer does not change, unless
        the row is `required` (a read of personal data): then the DependencyUnavailable is
        raised and nothing is answered but a 503.
        """
        # What a client sent is recorded whatever it held (a NUL in a path is escaped).
        client_id, path, idempotency_key, refusal, division_code, purpose = storable(
            (client_id, path, idempotency_key, refusal, division_code, purpose)
        )
        row = (
            client_id, client_kind, method, path, status, correlation_id, command_id,
            idempotency_key, json.dumps(refusal, ensure_ascii=False) if refusal else None,
            division_code, purpose,
        )  # fmt: skip
        try:
            await self.pool.execute(
                "INSERT INTO command_audit (client_id, client_kind, method, path, status,"
                " correlation_id, command_id, idempotency_key, refusal, division_code, purpose)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10,$11)",
                *row,
            )
        except Exception as exc:
            if not dependency_down(exc):
                raise
            if required:
                raise AuditUnavailable("the read cannot be audited now") from exc
            log.error(
                "audit.unwritten", error=type(exc).__name__, client_id=client_id,
                client_kind=client_kind, method=method, path=path, status=status,
                command_id=str(command_id) if command_id else None,
                idempotency_key=idempotency_key, refusal=refusal, division_code=division_code,
                purpose=purpose,
            )  # fmt: skip


async def bootstrap(settings: GatewaySettings, clients: ClientDirectory) -> Gateway:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    pool = await create_pool(url, max_size=20, least_privilege=production)
    return Gateway(settings, pool, clients)
