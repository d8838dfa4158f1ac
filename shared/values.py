"""The value types every service's HTTP schemas, commands and events share: one definition each.

A value a read model cannot store must be refused where it enters, with a field-level reason,
never found later by a projection (PostgreSQL text holds no NUL, a CHECK wants ASCII digits).
So: digits are ASCII `[0-9]` (Python's `\\d` and `isdigit()` also take `０` and `٣`); text
holds no control or format characters (NUL, bidi overrides, zero-width joiners); lengths are
bounded; numbers are JSON numbers in range (`true` is not 1). The same `pattern` is checked
here (Python `re`) and published in OpenAPI and the event schemas (ECMA-262), so it uses only
syntax both read: `\\uXXXX` escapes of the Basic Multilingual Plane.

The text rules are checked on what comes in (requests, commands, events being built), not on
what the log already holds: a stored event is read as it was written (`as_stored()`), so
tightening a rule never makes an old event unreadable (docs/kernel.md, "Old events stay
readable").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, ParamSpec, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from shared.errors import FieldProblem, ValidationFailed

# China Standard Time: a budget year, a deadline and the day a matter enters a list are Beijing's.
BEIJING = timezone(timedelta(hours=8))

P = ParamSpec("P")
T = TypeVar("T")

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


# A division-code prefix in a query (2 to 12 ASCII digits); a district client's own prefix
# is stricter (services/gateway/auth.py: 2, 4, 6, 9 or 12 digits).
PREFIX_QUERY_PATTERN = r"^[0-9]{2,12}$"


def is_digits(value: str, n: int) -> bool:
    return len(value) == n and value.isascii() and value.isdigit()


# Set while stored events are read (EventCatalog.decode, and what re-validates their parts).
_STORED: ContextVar[bool] = ContextVar("wuding_stored", default=False)


@contextmanager
def as_stored() -> Iterator[None]:
    """Read events as they were written: the text rules are not re-checked."""
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


@dataclass(frozen=True)
class Text:
    """A text rule: a pattern and a length, with a reason a person can read."""

    pattern: str
    min_length: int
    max_length: int
    rule: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: str) -> str:
            if _STORED.get():
                return value
            if not self.min_length <= len(value) <= self.max_length:
                raise PydanticCustomError(
                    "string_length",
                    f"{self.min_length} to {self.max_length} characters: {self.rule}",
                )
            if not compiled.fullmatch(value):  # match() would let a final "\n" pass `$`
                raise PydanticCustomError("string_pattern_mismatch", self.rule)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found.update(pattern=self.pattern, minLength=self.min_length, maxLength=self.max_length)
        return found


_ONE_LINE = "one line, no leading or trailing space, no control or format character"
_FREE_TEXT = "no control or format character except line breaks and tabs"

DivisionCode = Annotated[
    str, Text(digits(12), 12, 12, "12 ASCII digits"), Field(examples=["330211001001"])
]
CommunityCode = Annotated[
    str, Text(digits(17), 17, 17, "17 ASCII digits"), Field(examples=["33021100100110003"])
]
Name = Annotated[str, Text(LINE_PATTERN, 2, 50, _ONE_LINE)]
Label = Annotated[str, Text(LINE_PATTERN, 1, 40, _ONE_LINE)]
Certificate = Annotated[str, Text(LINE_PATTERN, 1, 64, _ONE_LINE)]
Title = Annotated[str, Text(LINE_PATTERN, 1, 200, _ONE_LINE)]
Reference = Annotated[str, Text(LINE_PATTERN, 0, 200, _ONE_LINE)]
Note = Annotated[str, Text(TEXT_PATTERN, 0, 2000, _FREE_TEXT)]
# Free text that must say something: a reason, a legal basis, a scope.
Statement = Annotated[str, Text(TEXT_PATTERN, 2, 2000, _FREE_TEXT)]
# A JSON number, not `true` nor "12": integer columns hold up to 2^31-1.
Count = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]
# A calendar day a rule or a record is effective from: in the years 1949 to 2099. The year
# range is published as a pattern (JSON Schema has no bound for a date).
Day = Annotated[
    date,
    Field(
        ge=date(1949, 1, 1),
        le=date(2099, 12, 31),
        json_schema_extra={"pattern": r"^(19(49|[5-9][0-9])|20[0-9]{2})-[0-9]{2}-[0-9]{2}$"},
    ),
]
Year = Annotated[int, Strict(), Field(ge=1949, le=2099)]
Fen = Annotated[int, Strict(), Field(ge=0, le=100_000_000_000)]  # money: integer fen
Flag = Annotated[bool, Strict()]


def _decimal_text(pattern: str) -> Callable[[dict[str, Any]], None]:
    """A decimal is a JSON number or a string; the string's pattern says the digits and the
    range the validator takes (JSON Schema bounds only numbers), so the OpenAPI document
    does not promise that any string will do (schemathesis found that)."""

    def extra(schema: dict[str, Any]) -> None:
        for branch in schema.get("anyOf", []):
            if branch.get("type") == "string":
                branch["pattern"] = pattern

    return extra


_FRACTION = r"(\.[0-9]{1,4})?"
Share = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=5, decimal_places=4,
          json_schema_extra=_decimal_text(rf"^(0{_FRACTION}|1(\.0{{1,4}})?)$")),
]  # fmt: skip
_AREA_TEXT = rf"^([0-9]{{1,5}}{_FRACTION}|100000(\.0{{1,4}})?)$"
AreaKm2 = Annotated[
    Decimal,
    Field(gt=0, le=100_000, max_digits=12, decimal_places=4,
          json_schema_extra=_decimal_text(_AREA_TEXT.replace("^", "^(?!0*(\\.0*)?$)", 1))),
]  # fmt: skip
# A grid may be sized 0 km² (a building grid).
Area = Annotated[
    Decimal,
    Field(ge=0, le=100_000, max_digits=12, decimal_places=4,
          json_schema_extra=_decimal_text(_AREA_TEXT)),
]  # fmt: skip


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """pydantic's errors as field-level reasons (the input itself is never echoed)."""
    return [
        FieldProblem(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()
    ]


class Record(BaseModel):
    """A value recorded in events (an event, a grid spec, a document): immutable, no extra
    fields, its fields typed with the value types above."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def refusing_invalid_values(
    handler: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    """For a command handler: a value its events cannot hold (pydantic refusing to build a
    Record from the command) is the caller's input, so a ValidationFailed (422 with each
    field's reason) before anything is appended, never a 500."""

    @functools.wraps(handler)
    async def refusing(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await handler(*args, **kwargs)
        except ValidationError as exc:
            raise ValidationFailed(
                f"{exc.title} cannot hold these values", errors=field_problems(exc)
            ) from exc

    return refusing


def storable(value: Any) -> Any:
    """`value` with every NUL escaped as the text `\\x00`, in strings, keys and nested lists.

    For records of what a client sent (audit rows, error reasons): they must be written
    whatever the input held, and PostgreSQL's text and jsonb cannot hold U+0000.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
