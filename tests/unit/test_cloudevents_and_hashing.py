"""CloudEvents decoding reasons, canonical JSON and the hash chain, pure."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.cloudevents import MalformedEvent, from_message
from shared.eventstore.hashing import canonical_json, event_hash


def headers(**over: str) -> list[tuple[str, bytes]]:
    base = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid4()),
        "ce_source": "/wuding/registry",
        "ce_type": "cn.wuding.registry.CommunityRegistered.v1",
        "ce_subject": "x",
        "ce_time": datetime.now(UTC).isoformat(),
        **over,
    }
    return [(k, v.encode()) for k, v in base.items() if v]


def test_a_good_event_decodes() -> None:
    event = from_message(headers(), '{"名称": "勤勇"}'.encode())
    assert (event.type, event.schema_version, event.data) == (
        "CommunityRegistered",
        1,
        {"名称": "勤勇"},
    )


@pytest.mark.parametrize(
    ("over", "body", "reason"),
    [
        ({"ce_id": ""}, b"{}", "missing CloudEvents attributes: ce_id"),
        ({"ce_id": "nope"}, b"{}", "ce_id is not a UUID"),
        ({"ce_type": "Registered"}, b"{}", "is not cn.wuding"),
        ({"ce_specversion": "0.3"}, b"{}", "unsupported specversion"),
        ({"ce_time": "yesterday"}, b"{}", "ce_time"),
        ({}, b"[1]", "not a JSON object"),
        ({}, b"{", "not JSON"),
    ],
)
def test_malformed_messages_say_why(over: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        from_message(headers(**over), body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_canonical_json_is_independent_of_key_order(value: dict) -> None:  # type: ignore[type-arg]
    reordered = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reordered)


def test_hash_covers_every_field_and_the_predecessor() -> None:
    args = dict(
        prev_hash=None,
        event_id=uuid4(),
        stream_id="s",
        stream_version=1,
        event_type="T",
        schema_version=1,
        payload_json=b"{}",
        metadata_json=b"{}",
        recorded_at=datetime.now(UTC),
    )
    base = event_hash(**args)  # type: ignore[arg-type]
    for field, other in [
        ("prev_hash", b"\x01" * 32),
        ("stream_version", 2),
        ("payload_json", b"[]"),
        ("metadata_json", b'{"a":1}'),
        ("event_type", "U"),
        ("stream_id", "t"),
    ]:
        assert event_hash(**{**args, field: other}) != base  # type: ignore[arg-type]


def test_event_ids_are_uuid_v7_in_time_order() -> None:
    import time

    from shared.eventstore.store import new_event_id

    first = new_event_id()
    time.sleep(0.002)
    later = [new_event_id() for _ in range(1000)]
    assert all(i.version == 7 and i.variant == "specified in RFC 4122" for i in [first, *later])
    assert all(first < i for i in later)  # a later millisecond sorts after
    assert len(set(later)) == 1000
