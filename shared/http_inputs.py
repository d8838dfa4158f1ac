"""The request inputs every service parses the same way: `as_of` moments and `If-Match`.

One parser each, used by the gateway (which refuses bad input before forwarding) and by the
services (which must not trust their callers either).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from shared.errors import FieldProblem, PreconditionFailed, ValidationFailed


def _representable(moment: datetime) -> datetime:
    # `9999-12-31T23:59:59-23:59` parses but is in year 10000 in UTC: every store and clock
    # compares in UTC, so such an instant cannot be looked up (it raised OverflowError: a 500).
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between years 1 and 9999 once converted to UTC") from None
    return moment


# In a query string '+' means a space, so an offset pasted unencoded (…T00:00:00+08:00)
# arrives as "…T00:00:00 08:00". Refused with the fix rather than guessed: one spelling.
_SPACE_FOR_PLUS = re.compile(r"T[\d:.]+ \d{2}(:?\d{2})?$")


def _offset_sign_encoded(value: object) -> object:
    if isinstance(value, str) and _SPACE_FOR_PLUS.search(value):
        raise ValueError(
            "the offset's '+' arrived as a space ('+' means a space in a query string):"
            " encode it as %2B, e.g. as_of=2025-06-30T00:00:00%2B08:00"
        )
    return value


# A moment a client names (`?as_of=`): timezone-aware, its offset's sign encoded, and
# representable in UTC.
Moment = Annotated[
    AwareDatetime, BeforeValidator(_offset_sign_encoded), AfterValidator(_representable)
]

# A stream version is a PostgreSQL bigint; 18 digits always fit (and int() never meets
# Python's 4,300-digit conversion limit).
_STRONG_VERSION_ETAG = re.compile(r'"([0-9]{1,18})"')
IF_MATCH_PATTERN = rf"^{_STRONG_VERSION_ETAG.pattern}$"  # what the OpenAPI documents publish
_IF_MATCH_REASON = 'the ETag you read, a version in double quotes such as "3"'


def parse_if_match(value: str | None) -> int | None:
    """`If-Match: "<version>"` → the version; None when absent.

    RFC 9110 §13.1.1: If-Match uses strong comparison, so a weak ETag (`W/"3"`) never matches
    and the request is refused with 412, changing nothing.
    """
    if value is None:
        return None
    text = value.strip()
    if text.startswith("W/"):
        raise PreconditionFailed(
            "a weak ETag never satisfies If-Match (RFC 9110 strong comparison)",
            errors=[FieldProblem("If-Match", "weak ETags never match; send the strong ETag")],
        )
    match = _STRONG_VERSION_ETAG.fullmatch(text)
    if match is None:
        raise ValidationFailed(
            "If-Match must be the version ETag", errors=[FieldProblem("If-Match", _IF_MATCH_REASON)]
        )
    return int(match[1])


def if_match_header(version: int | None) -> str | None:
    """The If-Match header that names `version` (what the gateway forwards)."""
    return None if version is None else f'"{version}"'


# A district's, a town's or the city's division prefix in a path (a report's area).
AREA_PATTERN = r"[0-9]{2,12}"
AREA_PATH_PARAMETER = {"type": "string", "pattern": f"^{AREA_PATTERN}$",
                       "examples": ["330211", "3302"]}  # fmt: skip


def require_area(prefix: str) -> str:
    if not re.fullmatch(AREA_PATTERN, prefix):
        raise ValidationFailed(
            "not a division prefix",
            errors=[FieldProblem("area", "2 to 12 ASCII digits: the city 4, a district 6")],
        )
    return prefix
