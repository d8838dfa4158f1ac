"""Position and worker ids: each begins with the division it belongs to, so the gateway finds
the district that may act on it from the path alone (as a proposal id does), and says nothing
else about anyone: a worker id is pseudonymous."""

from __future__ import annotations

import re
from uuid import UUID, uuid5

from shared.community_code import require_valid_code
from shared.errors import FieldProblem, ValidationFailed

POSITION_PATTERN = r"[0-9]{17}-[0-9]{3}"
WORKER_PATTERN = r"[0-9]{12}-[0-9a-f]{12}"
_WORKERS = UUID("5c0f3f4e-9a57-4e0b-b1f2-7d6c2a8e4b19")


def position_id(code: str, number: int) -> str:
    return f"{code}-{number:03d}"


def worker_id(division_code: str, command_id: UUID) -> str:
    """From the recruiting command's id: a retry of the same command names the same worker."""
    return f"{division_code}-{uuid5(_WORKERS, str(command_id)).hex[:12]}"


def require_position_id(value: str) -> str:
    if not re.fullmatch(POSITION_PATTERN, value):
        raise _bad("position_id", "a community code, '-' and three digits")
    require_valid_code(value[:17])
    return value


def require_worker_id(value: str) -> str:
    if not re.fullmatch(WORKER_PATTERN, value):
        raise _bad("worker_id", "12 digits of a division, '-' and 12 hex digits")
    return value


def _bad(name: str, shape: str) -> ValidationFailed:
    return ValidationFailed(f"not a {name.replace('_', ' ')}", errors=[FieldProblem(name, shape)])
