"""One definition per value type (shared/values.py), and the OpenAPI documents publish it.

Guards issue 8 §1: `\\d` and `isdigit()` take full-width and Arabic-Indic digits, and text took
NUL, so values the read models cannot store got in; `true` was taken as a count of 1.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.gateway.app import create_app as gateway_app
from services.gateway.settings import GatewaySettings
from services.registry.app import create_app as registry_app
from services.registry.community.events import CommunityRegistered
from services.registry.runtime import registry_catalog
from shared.eventstore import Envelope
from shared.settings import KernelSettings
from shared.values import Count, DivisionCode, Name, Note, digits, is_digits

REFUSED = {"Cc", "Cf", "Zl", "Zp"}


def valid(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def refused_char(c: str, allowed: str = "") -> bool:
    """What the patterns refuse: BMP controls, format characters, line/paragraph separators."""
    return ord(c) < 0x10000 and c not in allowed and unicodedata.category(c) in REFUSED


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
def test_a_name_is_refused_exactly_when_it_holds_what_the_rules_refuse(value: str) -> None:
    expected = (
        2 <= len(value) <= 50
        and not any(refused_char(c) for c in value)
        and not value[0].isspace()
        and not value[-1].isspace()
    )
    assert valid(TypeAdapter(Name), value) == expected


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
def test_a_note_may_break_lines_but_holds_no_other_control(value: str) -> None:
    expected = not any(refused_char(c, "\t\n\r") for c in value)
    assert valid(TypeAdapter(Note), value) == expected


@given(st.text(st.characters(categories=("Nd",)), min_size=12, max_size=12))
def test_only_ascii_digits_make_a_division_code(value: str) -> None:
    assert valid(TypeAdapter(DivisionCode), value) == value.isascii() == is_digits(value, 12)


@pytest.mark.parametrize("value", [True, False, "12", 1.0, -1, 10_000_001])
def test_a_count_is_a_json_integer_in_range(value: object) -> None:
    assert not valid(TypeAdapter(Count), value)
    with pytest.raises(ValidationError):
        TypeAdapter(Count).validate_json(json.dumps(value))


def patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for v in node.values() for p in patterns(v)]
    if isinstance(node, list):
        return [p for v in node for p in patterns(v)]
    return []


def test_the_openapi_documents_publish_the_same_patterns(tmp_path: Path) -> None:
    registry = registry_app(KernelSettings(env="test", service="registry")).openapi()
    clients = tmp_path / "clients.json"
    clients.write_text("[]", "utf-8")
    gateway = gateway_app(GatewaySettings(env="test", clients_file=clients)).openapi()
    for document in (registry, gateway):
        found = patterns(document)
        assert digits(12) in found
        assert not [p for p in found if "\\d" in p], "\\d takes non-ASCII digits"
        body = document["components"]["schemas"]["RegisterCommunityRequest"]["properties"]
        assert body["division_code"]["pattern"] == digits(12)
        assert body["name"]["pattern"] == TypeAdapter(Name).json_schema()["pattern"]
        assert body["households"]["type"] == "integer"


def test_a_stored_event_is_read_as_written_and_a_new_one_is_refused() -> None:
    """Text rules guard what comes in; an event already in the log (written before a rule was
    tightened) stays readable (docs/kernel.md, "Old events stay readable")."""
    payload = {
        "code": "33021100400110006", "name": "旧\n社区", "division_code": "330211004001",
        "major_type": "urban", "subtype": "老城区社区", "has_residents_committee": True,
        "service_centre_name": None, "households": 1, "residents": 1, "area_km2": "1",
    }  # fmt: skip
    stored = Envelope(
        1, 1, uuid4(), "community-33021100400110006", 1, "CommunityRegistered", 1, payload, {},
        datetime.now(UTC), None, b"",
    )  # fmt: skip
    event = registry_catalog().decode(stored)
    assert isinstance(event, CommunityRegistered) and event.name == "旧\n社区"
    with pytest.raises(ValidationError) as refused:
        CommunityRegistered(**payload)
    assert [e["loc"] for e in refused.value.errors()] == [("name",)]
