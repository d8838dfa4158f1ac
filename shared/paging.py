"""Keyset paging of a list read: a page is read with `limit + 1` rows after the cursor's key;
the cursor is that key, opaque to clients (URL-safe base64)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Query

from shared.errors import FieldProblem, ValidationFailed
from shared.service_contract import QueryParam
from shared.values import PREFIX_QUERY_PATTERN

# A paged list's query parameters, as the gateway's contracts declare them.
DIVISION_PREFIX = QueryParam(
    "division_prefix",
    Annotated[
        str | None,
        Query(
            pattern=PREFIX_QUERY_PATTERN, description="Defaults to a district client's own prefix."
        ),
    ],
)
LIMIT = QueryParam("limit", Annotated[int, Query(ge=1, le=500)], 50)
CURSOR = QueryParam("cursor", str | None)
PAGE = (DIVISION_PREFIX, LIMIT, CURSOR)


def list_query(status: Any) -> tuple[QueryParam, ...]:
    """A workflow's list: under a prefix, optionally one status, a page at a time."""
    return (DIVISION_PREFIX, QueryParam("status", status | None), LIMIT, CURSOR)


ItemT = TypeVar("ItemT")


def page(
    items: list[ItemT], limit: int, key: Callable[[ItemT], str]
) -> tuple[list[ItemT], str | None]:
    """One page of `items` (read with `limit + 1`, so one more tells there is a next page) and
    the cursor of the next page."""
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(key(items[-1])) if more else None


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        code = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        code = ""
    if not code.replace("-", "").isalnum():
        raise ValidationFailed("bad cursor", errors=[FieldProblem("cursor", "not a cursor")])
    return code
