"""`Idempotency-Key` on commands: a retry gets the first response, and appends nothing.

The first request with a key claims it (status NULL while in flight) and passes a command id
derived from (client, key) to the service, whose event store appends a command id once. So
even if the gateway dies between the service's answer and storing it, the retry appends
nothing new. A key reused with a different request is refused; a claim older than the
in-flight lease is taken over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID, uuid5

import asyncpg
import orjson

from shared.errors import Conflict, FieldProblem, ValidationFailed

_NAMESPACE = UUID("8f0b6a52-3c1e-4d57-9a51-0d3b8c6e2f10")
IN_FLIGHT_LEASE_SECONDS = 30
SWEEP_BATCH = 1000  # keys deleted per statement by the sweeper


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class KeyInFlight(Conflict):
    slug = "idempotency-key-in-flight"
    title = "A request with this Idempotency-Key is still being processed"


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def command_id_for(client_id: str, key: str) -> UUID:
    return uuid5(_NAMESPACE, f"{client_id}\n{key}")


class IdempotencyStore:
    def __init__(self, pool: asyncpg.Pool, ttl_hours: int) -> None:
        self.pool = pool
        self.ttl_hours = ttl_hours

    async def claim(self, client_id: str, key: str, print_: str) -> StoredResponse | None:
        """None: go ahead (the key is ours). A response: replay it. Raises on misuse."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE client_id = $1 AND key = $2"
                " AND created_at < now() - make_interval(hours => $3)",
                client_id,
                key,
                self.ttl_hours,
            )
            claimed = await conn.fetchval(
                "INSERT INTO idempotency_keys (client_id, key, fingerprint, command_id)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                client_id,
                key,
                print_,
                command_id_for(client_id, key),
            )
            if claimed:
                return None
            row = await conn.fetchrow(
                "SELECT fingerprint, status, headers::text AS headers, body,"
                " created_at < now() - make_interval(secs => $3) AS lease_expired"
                " FROM idempotency_keys WHERE client_id = $1 AND key = $2 FOR UPDATE",
                client_id,
                key,
                IN_FLIGHT_LEASE_SECONDS,
            )
            if row["fingerprint"] != print_:
                raise ValidationFailed(
                    "this Idempotency-Key was used for a different request",
                    errors=[FieldProblem("Idempotency-Key", "reused with a different request")],
                )
            if row["status"] is not None:
                return StoredResponse(row["status"], orjson.loads(row["headers"]), row["body"])
            if not row["lease_expired"]:
                raise KeyInFlight("retry shortly")
            await conn.execute(
                "UPDATE idempotency_keys SET created_at = now() WHERE client_id = $1 AND key = $2",
                client_id,
                key,
            )
            return None

    async def complete(self, client_id: str, key: str, response: StoredResponse) -> None:
        await self.pool.execute(
            "UPDATE idempotency_keys SET status = $3, headers = $4::jsonb, body = $5"
            " WHERE client_id = $1 AND key = $2",
            client_id,
            key,
            response.status,
            orjson.dumps(response.headers).decode(),
            response.body,
        )

    async def sweep_expired(self, batch: int = SWEEP_BATCH) -> int:
        """Delete keys past their time to live, up to `batch`; return how many went.

        A retry after the time to live is a new request anyway (claim() ignores such a row),
        so deleting them changes no answer; it only keeps the table from growing forever.
        """
        status = await self.pool.execute(
            "DELETE FROM idempotency_keys WHERE (client_id, key) IN ("
            " SELECT client_id, key FROM idempotency_keys"
            " WHERE created_at < now() - make_interval(hours => $1)"
            " ORDER BY created_at LIMIT $2)",
            self.ttl_hours,
            batch,
        )
        return int(status.split()[-1])

    async def release(self, client_id: str, key: str) -> None:
        """The request failed in a way worth retrying: free the key."""
        await self.pool.execute(
            "DELETE FROM idempotency_keys WHERE client_id = $1 AND key = $2 AND status IS NULL",
            client_id,
            key,
        )
