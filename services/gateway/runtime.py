"""The gateway's composition root: clients, idempotency store, audit and forwarders."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg
import structlog

from services.gateway.auth import ClientDirectory
from services.gateway.forward import Forwarder
from services.gateway.idempotency import SWEEP_BATCH, IdempotencyStore
from services.gateway.settings import GatewaySettings
from shared.db import create_pool

log = structlog.get_logger("wuding.gateway")


class Gateway:
    def __init__(self, settings: GatewaySettings, pool: asyncpg.Pool) -> None:
        self.settings = settings
        self.pool = pool
        self.clients = ClientDirectory.from_file(settings.clients_file)
        self.idempotency = IdempotencyStore(pool, settings.idempotency_ttl_hours)
        self.registry = Forwarder(
            "registry", settings.registry_url, settings.forward_timeout_seconds
        )

    async def start(self) -> None:
        await self.registry.start()
        self._sweeper = asyncio.create_task(self._sweep_idempotency_keys(), name="sweeper")

    async def stop(self) -> None:
        self._sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        await self.registry.close()
        await self.pool.close()

    async def _sweep_idempotency_keys(self) -> None:
        """Every few minutes, delete expired idempotency keys (in batches, so briefly)."""
        while True:
            try:
                swept = SWEEP_BATCH
                while swept == SWEEP_BATCH:  # a full batch: there may be more
                    swept = await self.idempotency.sweep_expired()
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("idempotency.sweep_failed", error=type(exc).__name__)
            await asyncio.sleep(self.settings.idempotency_sweep_seconds)

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
    ) -> None:
        await self.pool.execute(
            "INSERT INTO command_audit (client_id, client_kind, method, path, status,"
            " correlation_id, command_id, idempotency_key, refusal)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb)",
            client_id,
            client_kind,
            method,
            path,
            status,
            correlation_id,
            command_id,
            idempotency_key,
            json.dumps(refusal, ensure_ascii=False) if refusal else None,
        )


async def bootstrap(settings: GatewaySettings) -> Gateway:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Gateway(settings, await create_pool(url, max_size=20, least_privilege=production))
