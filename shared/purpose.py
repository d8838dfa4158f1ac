"""The purpose a read of personal data states (header `X-Purpose`), checked the same way by the
gateway, which audits it with the read, and by the service holding the data.

5 to 200 characters of one line. HTTP header values are bytes; a client sends the purpose as
UTF-8, raw or percent-encoded (`%E6%A0%B8...`), so Chinese text arrives intact either way.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header

from shared.errors import FieldProblem, ValidationFailed
from shared.values import LINE_PATTERN

HEADER = "header.X-Purpose"  # as FastAPI names a header field in a problem
_LINE = re.compile(LINE_PATTERN)


def stated_purpose(raw: str | None) -> str:
    """The purpose as text, or the ValidationFailed a client gets."""
    if raw is None:
        raise _refused("required: state why you read this personal data (5 to 200 characters)")
    text = decoded(raw)
    if text is None:
        raise _refused("not UTF-8 (send it raw or percent-encoded)")
    if not 5 <= len(text) <= 200:
        raise _refused("5 to 200 characters")
    if not _LINE.fullmatch(text):
        raise _refused("one line, no leading or trailing space, no control or format character")
    return text


def decoded(raw: str) -> str | None:
    """The header's text (None: not UTF-8), as HTTP handed it over (latin-1 of its bytes)."""
    try:
        return unquote(raw.encode("latin-1").decode("utf-8"), errors="strict")
    except UnicodeError:
        return None


def _refused(reason: str) -> ValidationFailed:
    return ValidationFailed("a stated purpose is required", errors=[FieldProblem(HEADER, reason)])


async def _purpose(
    x_purpose: Annotated[
        str | None,
        Header(description="Why you read this personal data: 5-200 characters, UTF-8 (raw or"
               " percent-encoded). Audited with the read."),
    ] = None,
) -> str:  # fmt: skip
    return stated_purpose(x_purpose)


Purpose = Annotated[str, Depends(_purpose)]
