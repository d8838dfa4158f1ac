"""Personal data in an append-only log: sealed with a per-person key, erased by destroying it.

An event that carries a person's name or identity number carries them sealed: AES-256-GCM
under that person's data key (the `personal_keys` table), with the subject's pseudonymous id
as associated data, so a sealed value cannot be moved onto another person. The event is hashed
and published as sealed, so the topic, the city platform's copy and the backups hold
ciphertext only. Erasure deletes the key: every sealed field of that person becomes unreadable
at once, the events and their hashes stay exactly as they were, and `audit verify` still
passes (GDPR-style crypto-shredding, as in EventSourcing.NetCore's and Axon's data protection
modules). A key is kept in the transaction that appends its event: it exists iff the event does.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

import asyncpg
import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.values import Record

_NONCE_BYTES = 12


class Sealed(Record):
    """Personal fields as an event carries them: nothing readable without the subject's key."""

    nonce: str  # base64
    ciphertext: str  # base64 of AES-GCM(JSON of the fields), tag included


class PersonalVault:
    """The per-subject data keys of one service's database."""

    def seal(self, subject: str, fields: Mapping[str, str]) -> tuple[Sealed, bytes]:
        """`fields` sealed under a new data key for `subject`, and the key: `keep` it in the
        transaction that appends the event (after the append, its first write)."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = AESGCM(key).encrypt(nonce, orjson.dumps(dict(fields)), subject.encode())
        return Sealed(nonce=_b64(nonce), ciphertext=_b64(ciphertext)), key

    async def keep(self, conn: asyncpg.Connection, subject: str, key: bytes) -> None:
        await conn.execute(
            "INSERT INTO personal_keys (subject, data_key) VALUES ($1, $2)", subject, key
        )

    async def open(
        self, conn: asyncpg.Connection | asyncpg.Pool, subject: str, sealed: Mapping[str, str]
    ) -> dict[str, str] | None:
        """The fields, or None once the subject is erased (its key destroyed)."""
        key = await self._key(conn, subject)
        if key is None:
            return None
        try:
            plain = AESGCM(key).decrypt(
                base64.b64decode(sealed["nonce"]),
                base64.b64decode(sealed["ciphertext"]),
                subject.encode(),
            )
        except (InvalidTag, KeyError, ValueError) as exc:
            raise ValueError(f"sealed personal data of {subject} does not open") from exc
        fields: dict[str, str] = orjson.loads(plain)
        return fields

    async def erase(self, conn: asyncpg.Connection, subject: str) -> bool:
        """Destroy the subject's key (True if there was one)."""
        status = await conn.execute("DELETE FROM personal_keys WHERE subject = $1", subject)
        return bool(status != "DELETE 0")

    async def erased(self, conn: asyncpg.Connection | asyncpg.Pool, subject: str) -> bool:
        return await self._key(conn, subject) is None

    async def _key(self, conn: asyncpg.Connection | asyncpg.Pool, subject: str) -> bytes | None:
        key: bytes | None = await conn.fetchval(
            "SELECT data_key FROM personal_keys WHERE subject = $1", subject
        )
        return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
