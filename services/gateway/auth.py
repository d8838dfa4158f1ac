"""API-key authentication and district scoping.

Keys are stored only as SHA-256 digests (they are long random tokens, so a fast hash is the
right tool; a slow password hash buys nothing). A district system may act on and read only
division codes under its prefix; the city platform reads everything and commands nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field, ValidationError, model_validator

from shared.errors import FieldProblem, WudingError

ClientKind = Literal["district", "city"]
# A district's prefix is a whole division level: province 2, city 4, county 6, town 9 or
# village 12 ASCII digits. An empty prefix would match every code (startswith("")).
DIVISION_PREFIX = r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"
_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")
# Declares the scheme in the OpenAPI document (so /docs "Authorize" sends the key); it checks
# nothing itself: ClientDirectory.authenticate does (X-Api-Key too).
BEARER = HTTPBearer(
    scheme_name="bearer", description="Your API key: `Authorization: Bearer <key>`.",
    auto_error=False,
)  # fmt: skip


class Unauthenticated(WudingError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class AmbiguousCredentials(WudingError):
    status = 400
    slug = "ambiguous-credentials"
    title = "Send exactly one API key"


class Forbidden(WudingError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this client"

    def __init__(self, detail: str, *, division_code: str | None = None) -> None:
        super().__init__(detail)
        self.division_code = division_code  # what the client tried to reach (audited)


class Client(BaseModel):
    client_id: str = Field(min_length=1, max_length=128)
    kind: ClientKind
    name: str = ""
    division_prefix: str = ""
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _scope_is_explicit(self) -> Client:
        if self.kind == "district" and not re.fullmatch(DIVISION_PREFIX, self.division_prefix):
            raise ValueError(
                "a district client needs a division_prefix of 2, 4, 6, 9 or 12 ASCII digits,"
                f" not {self.division_prefix!r}"
            )
        if self.kind == "city" and self.division_prefix:
            raise ValueError("a city client reads everywhere and has no division_prefix")
        return self

    def may_read(self, division_code: str) -> bool:
        return self.kind == "city" or division_code.startswith(self.division_prefix)

    def require_read(self, division_code: str) -> None:
        if not self.may_read(division_code):
            raise Forbidden(
                f"{self.client_id} may only read division codes {self.scope_text()}",
                division_code=division_code,
            )

    def require_command(self, division_code: str) -> None:
        if self.kind != "district":
            raise Forbidden(
                f"{self.client_id} is a {self.kind} client and may only read",
                division_code=division_code,
            )
        if not division_code.startswith(self.division_prefix):
            raise Forbidden(
                f"{self.client_id} may only act on division codes {self.scope_text()}",
                division_code=division_code,
            )

    def scope_text(self) -> str:
        return f"under {self.division_prefix}" if self.division_prefix else "anywhere"


class InvalidClientsFile(ValueError):
    """The clients file cannot be used; the message names the file, the entry and the reason."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "wd_" + secrets.token_urlsafe(32)


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: `field: reason; ...`."""
    return "; ".join(
        (".".join(str(p) for p in e["loc"]) + ": " if e["loc"] else "")
        + e["msg"].removeprefix("Value error, ")
        for e in exc.errors()
    )


def credentials(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The API key a request carries, from its raw headers: the one way both the hot path and
    the app read it. Two credential headers (a repeated `Authorization`, or it and `X-Api-Key`)
    are refused: no layer may resolve them differently from another."""
    found: list[tuple[bytes, str]] = []
    for name, value in headers:
        if name in _CREDENTIAL_HEADERS:
            found.append((name, value.decode("latin-1")))
    if len(found) > 1:
        raise AmbiguousCredentials(
            "the request carries more than one credential header",
            errors=[FieldProblem("Authorization", "send one Authorization header, nothing else")],
        )
    if not found:
        return None
    header, text = found[0]
    if header == b"x-api-key":
        return text.strip() or None
    if text.lower().startswith("bearer "):
        return text[7:].strip() or None
    return None


class ClientDirectory:
    def __init__(self, clients: list[Client]) -> None:
        self._by_hash = {c.key_sha256: c for c in clients}

    @classmethod
    def from_file(cls, path: Path | None) -> ClientDirectory:
        """Every entry valid, client ids and keys unique; otherwise InvalidClientsFile."""
        if path is None:
            return cls([])
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidClientsFile(f"clients file {path}: cannot be read: {exc}") from None
        if not isinstance(raw, list):
            raise InvalidClientsFile(f"clients file {path}: must be a JSON list of clients")
        clients: list[Client] = []
        for index, entry in enumerate(raw):
            label = entry.get("client_id") if isinstance(entry, dict) else None
            where = f"clients file {path}, entry {index} ({label!r})"
            try:
                client = Client.model_validate(entry)
            except ValidationError as exc:
                raise InvalidClientsFile(f"{where}: {validation_message(exc)}") from None
            if any(c.client_id == client.client_id for c in clients):
                raise InvalidClientsFile(f"{where}: client_id is used twice")
            if any(c.key_sha256 == client.key_sha256 for c in clients):
                raise InvalidClientsFile(f"{where}: key_sha256 is another client's key")
            clients.append(client)
        return cls(clients)

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, headers: Iterable[tuple[bytes, bytes]]) -> Client:
        key = credentials(headers)
        if not key:
            raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
        client = self._by_hash.get(hash_key(key))
        if client is None:
            raise Unauthenticated("the API key is not known")
        return client
