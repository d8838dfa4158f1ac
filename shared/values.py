"""The value types every service's HTTP schemas, commands and events share: one definition each.

A value a read model cannot store must be refused where it enters, with a field-level reason,
never found later by a projection (PostgreSQL text holds no NUL, a CHECK wants ASCII digits).
So: digits are ASCII `[0-9]` (Python's `\\d` and `isdigit()` also take `０` and `٣`); text
holds no control or format characters (NUL, bidi overrides, zero-width joiners); lengths are
bounded; numbers are JSON numbers in range (`true` is not 1). The same `pattern` is checked by
pydantic (Rust regex) and published in OpenAPI and the event schemas (ECMA-262), so it uses
only syntax both read: `\\uXXXX` escapes of the Basic Multilingual Plane.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from shared.errors import FieldProblem, ValidationFailed

# Unicode categories refused in text: controls, format characters, line/paragraph separators.
# Surrogates cannot reach a str from JSON (UTF-8); a regex cannot name them either.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Free text (a note) may break lines and hold tabs; nothing else of the above.
_TEXT_ALLOWED = frozenset("\t\n\r")


def _ranges(allowed: frozenset[str] = frozenset()) -> str:
    """The refused BMP code points as a regex class body of `\\uXXXX` ranges."""
    spans: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF or chr(cp) in allowed:
            continue
        if unicodedata.category(chr(cp)) in _REFUSED_CATEGORIES:
            if spans and spans[-1][1] == cp - 1:
                spans[-1] = (spans[-1][0], cp)
            else:
                spans.append((cp, cp))
    return "".join(f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in spans)


_LINE_REFUSED = _ranges()
_TEXT_REFUSED = _ranges(_TEXT_ALLOWED)
# One line, no leading or trailing white space (empty allowed; min_length decides).
LINE_PATTERN = rf"^([^\s{_LINE_REFUSED}]([^{_LINE_REFUSED}]*[^\s{_LINE_REFUSED}])?)?$"
TEXT_PATTERN = rf"^[^{_TEXT_REFUSED}]*$"


def digits(n: int) -> str:
    """The pattern of exactly `n` ASCII digits."""
    return rf"^[0-9]{{{n}}}$"


def is_digits(value: str, n: int) -> bool:
    return len(value) == n and value.isascii() and value.isdigit()


DivisionCode = Annotated[str, Field(pattern=digits(12), examples=["330211001001"])]
CommunityCode = Annotated[str, Field(pattern=digits(17), examples=["33021100100110003"])]
Name = Annotated[str, Field(min_length=2, max_length=50, pattern=LINE_PATTERN)]
Label = Annotated[str, Field(min_length=1, max_length=40, pattern=LINE_PATTERN)]
Certificate = Annotated[str, Field(min_length=1, max_length=64, pattern=LINE_PATTERN)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=LINE_PATTERN)]
Reference = Annotated[str, Field(max_length=200, pattern=LINE_PATTERN)]
Note = Annotated[str, Field(max_length=2000, pattern=TEXT_PATTERN)]
# A JSON number, not `true` nor "12": integer columns hold up to 2^31-1.
Count = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]
Flag = Annotated[bool, Strict()]
Share = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]
AreaKm2 = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=12, decimal_places=4)]
# A grid may be sized 0 km² (a building grid).
Area = Annotated[Decimal, Field(ge=0, le=100_000, max_digits=12, decimal_places=4)]


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """pydantic's errors as field-level reasons (the input itself is never echoed)."""
    return [
        FieldProblem(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()
    ]


class Record(BaseModel):
    """A value built in code (an event, a grid spec): values it cannot hold are the caller's
    input, so they are a ValidationFailed (422 with each field's reason), never a 500.

    Only construction is checked this way; `model_validate` (requests, stored events) raises
    pydantic's own errors, which the HTTP layer and the readers handle.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ValidationFailed(
                f"{type(self).__name__} cannot hold these values", errors=field_problems(exc)
            ) from exc
