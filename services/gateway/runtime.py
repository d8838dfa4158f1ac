"""The gateway's composition root: clients, idempotency store, audit and forwarders."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.gateway.auth import ClientDirectory
from services.gateway.forward import Forwarder
from services.gateway.idempotency import IdempotencyStore
from services.gateway.settings import GatewaySettings
from shared.db import create_pool


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

    async def stop(self) -> None:
        await self.registry.close()
        await self.pool.close()

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
    return Gateway(settings, await create_pool(settings.resolved_database_url(), max_size=20))
