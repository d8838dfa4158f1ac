"""API-key authentication and district scoping.

Keys are stored only as SHA-256 digests (they are long random tokens, so a fast hash is the
right tool; a slow password hash buys nothing). A district system may act on and read only
division codes under its prefix; the city platform reads everything and commands nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter

from shared.errors import WudingError

ClientKind = Literal["district", "city"]


class Unauthenticated(WudingError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(WudingError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this client"


class Client(BaseModel):
    client_id: str
    kind: ClientKind
    name: str = ""
    division_prefix: str = Field(default="", pattern=r"^\d{0,12}$")
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def may_read(self, division_code: str) -> bool:
        return self.kind == "city" or division_code.startswith(self.division_prefix)

    def require_read(self, division_code: str) -> None:
        if not self.may_read(division_code):
            raise Forbidden(f"{self.client_id} may only read division codes {self.scope_text()}")

    def require_command(self, division_code: str) -> None:
        if self.kind != "district":
            raise Forbidden(f"{self.client_id} is a {self.kind} client and may only read")
        if not division_code.startswith(self.division_prefix):
            raise Forbidden(f"{self.client_id} may only act on division codes {self.scope_text()}")

    def scope_text(self) -> str:
        return f"under {self.division_prefix}" if self.division_prefix else "anywhere"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "wd_" + secrets.token_urlsafe(32)


class ClientDirectory:
    def __init__(self, clients: list[Client]) -> None:
        self._by_hash = {c.key_sha256: c for c in clients}

    @classmethod
    def from_file(cls, path: Path | None) -> ClientDirectory:
        if path is None:
            return cls([])
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(TypeAdapter(list[Client]).validate_python(raw))

    def authenticate(self, authorization: str | None, api_key: str | None) -> Client:
        key = api_key
        if authorization and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        if not key:
            raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
        client = self._by_hash.get(hash_key(key))
        if client is None:
            raise Unauthenticated("the API key is not known")
        return client
