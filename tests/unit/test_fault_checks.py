"""The fault tier's checks find what they claim to (tests/faults/checks.py): a check that cannot
fail would let the fault tier pass on a platform that loses events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from tests.faults.checks import (
    LoggedEvent,
    TopicRecord,
    accepted_not_logged,
    compare_topic,
    read_model_gap,
    unexpected_answers,
)

AT = datetime(2026, 12, 1, tzinfo=UTC)


def event(n: int, version: int, stream: str = "community-1") -> LoggedEvent:
    code = stream.removeprefix("community-")
    kind = "CommunityRegistered" if version == 1 else "CommunityTierAssigned"
    return LoggedEvent(f"e{n}", stream, version, kind, code, code if version == 1 else None, AT)


def record(e: LoggedEvent, offset: int, value: bytes = b"{}") -> TopicRecord:
    return TopicRecord(e.event_id, e.subject, 0, offset, value, e.event_type)


LOG = [event(1, 1), event(2, 2), event(3, 1, "community-2")]


def test_a_complete_topic_with_repeats_passes_and_counts_them() -> None:
    records = [record(e, i) for i, e in enumerate(LOG)] + [record(LOG[1], 3)]
    report = compare_topic(LOG, records)
    assert report.ok and report.duplicates == 1 and not report.missing


def test_a_lost_event_a_reordered_stream_and_an_altered_repeat_are_each_named() -> None:
    records = [record(LOG[1], 0), record(LOG[0], 1), record(LOG[1], 2, b'{"x":1}')]
    report = compare_topic(LOG, records)
    assert report.missing == ["e3"]
    assert report.out_of_order == ["community-1: v1 read after v2"]
    assert report.altered_duplicates == ["e2"] and not report.ok


def test_a_record_not_in_the_log_or_under_another_key_is_named() -> None:
    stranger = TopicRecord("e9", "1", 0, 3, b"{}", "CommunityRegistered")
    moved = TopicRecord("e3", "1", 0, 2, b"{}", "CommunityRegistered")
    report = compare_topic(LOG, [record(LOG[0], 0), record(LOG[1], 1), moved, stranger])
    assert report.unknown == ["e9"] and report.wrong_key == ["e3: key 1, subject 2"]


def test_answers_other_than_2xx_409_503_and_lost_or_unprojected_registrations() -> None:
    seen = Counter(
        {"201": 5, "409": 1, "503": 2, "500": 1, "connection:ServerDisconnectedError": 1}
    )
    assert unexpected_answers(seen) == {"500": 1, "connection:ServerDisconnectedError": 1}
    assert accepted_not_logged(["1", "7"], LOG) == ["7"]
    assert read_model_gap(LOG, {"1", "8"}) == (["2"], ["8"])
