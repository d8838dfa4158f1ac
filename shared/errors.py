"""Errors the kernel raises; the HTTP layer maps each to an RFC 9457 problem."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    """One field-level reason, as it appears in a problem's `errors` list."""

    field: str
    reason: str


class WudingError(Exception):
    """Base of every error that reaches a caller with a problem type and an HTTP status."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class ValidationFailed(WudingError):
    status = 422
    slug = "validation-failed"
    title = "The request is not valid"


class NotFound(WudingError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(WudingError):
    status = 409
    slug = "conflict"
    title = "Conflict"


@dataclass
class StreamPosition:
    """Where a stream stands: its last version and that event's hash (None for no events)."""

    version: int = 0
    hash: bytes | None = field(default=None, repr=False)


class ConcurrencyConflict(Conflict):
    """The stream moved on since the caller read it (optimistic concurrency)."""

    slug = "version-conflict"
    title = "The resource changed since you read it"

    def __init__(self, stream_id: str, expected: int, actual: int | None = None) -> None:
        actual_text = "" if actual is None else f", it is now at version {actual}"
        super().__init__(f"stream {stream_id} was expected at version {expected}{actual_text}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class CommandAlreadyRecorded(ConcurrencyConflict):
    """A batch's deferred appends hold a command the log recorded before (a reaction to an
    event seen again, e.g. by a consumer group replaying a topic): its replay is the events
    recorded then, found when the batch runs again command by command."""


class PreconditionFailed(WudingError):
    """An `If-Match` that can never match (RFC 9110: a weak ETag fails strong comparison)."""

    status = 412
    slug = "precondition-failed"
    title = "The If-Match precondition cannot hold"


class DependencyUnavailable(WudingError):
    """A dependency (database, broker, a service) is down: retry after `Retry-After` seconds."""

    status = 503
    slug = "dependency-unavailable"
    title = "A dependency is unavailable; retry shortly"
    retry_after_seconds = 5
