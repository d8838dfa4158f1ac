"""What must hold after the faults, as plain functions over what was collected: the log (from
the registry's database), the topic (read by a fresh consumer), the read model and the answers
clients saw. Each returns what is wrong, so one report names every broken guarantee."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

ALLOWED_ANSWER = re.compile(r"2\d\d|409|503")


@dataclass(frozen=True)
class LoggedEvent:
    event_id: str
    stream_id: str
    stream_version: int
    event_type: str
    subject: str
    code: str | None  # payload `code` of a CommunityRegistered
    recorded_at: datetime


@dataclass(frozen=True)
class TopicRecord:
    event_id: str
    key: str
    partition: int
    offset: int
    value: bytes
    ce_type: str


@dataclass
class TopicReport:
    missing: list[str] = field(default_factory=list)  # in the log, never on the topic
    unknown: list[str] = field(default_factory=list)  # on the topic, not in the log
    duplicates: int = 0  # records repeating an event id already read
    altered_duplicates: list[str] = field(default_factory=list)  # a repeat that differs
    wrong_key: list[str] = field(default_factory=list)  # key is not the event's subject
    split_keys: list[str] = field(default_factory=list)  # one key on several partitions
    out_of_order: list[str] = field(default_factory=list)  # "stream: v3 before v2"

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.unknown
            or self.altered_duplicates
            or self.wrong_key
            or self.split_keys
            or self.out_of_order
        )


def compare_topic(log: list[LoggedEvent], records: list[TopicRecord]) -> TopicReport:
    """Every event of the log on the topic, under its subject's key, each stream in version
    order as a subscriber first reads it; a duplicate is only a byte-identical repeat."""
    report = TopicReport()
    logged = {e.event_id: e for e in log}
    first: dict[str, TopicRecord] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        seen = first.get(record.event_id)
        if seen is None:
            first[record.event_id] = record
            continue
        report.duplicates += 1
        if (seen.key, seen.value, seen.ce_type) != (record.key, record.value, record.ce_type):
            report.altered_duplicates.append(record.event_id)
    report.missing = [e.event_id for e in log if e.event_id not in first]
    report.unknown = [event_id for event_id in first if event_id not in logged]
    partitions: defaultdict[str, set[int]] = defaultdict(set)
    last_version: dict[str, int] = {}
    for record in sorted(first.values(), key=lambda r: (r.partition, r.offset)):
        event = logged.get(record.event_id)
        if event is None:
            continue
        partitions[record.key].add(record.partition)
        if record.key != event.subject:
            report.wrong_key.append(f"{record.event_id}: key {record.key}, subject {event.subject}")
        before = last_version.get(event.stream_id, 0)
        if event.stream_version <= before:
            report.out_of_order.append(
                f"{event.stream_id}: v{event.stream_version} read after v{before}"
            )
        last_version[event.stream_id] = max(before, event.stream_version)
    report.split_keys = sorted(key for key, parts in partitions.items() if len(parts) > 1)
    return report


def unexpected_answers(histogram: Counter[str]) -> dict[str, int]:
    """Answers a client must never see under faults: anything but 2xx, 409 or 503 (a connection
    error to the gateway, which is never killed, is one)."""
    return {answer: n for answer, n in histogram.items() if not ALLOWED_ANSWER.fullmatch(answer)}


def accepted_not_logged(accepted_codes: list[str | None], log: list[LoggedEvent]) -> list[str]:
    """Codes a client was given (2xx) that no CommunityRegistered in the log issued."""
    registered = {e.code for e in log if e.event_type == "CommunityRegistered"}
    return [str(code) for code in accepted_codes if code not in registered]


def read_model_gap(log: list[LoggedEvent], projected: set[str]) -> tuple[list[str], list[str]]:
    """(registered in the log but not in the communities table, in the table but not the log)."""
    registered = {e.code for e in log if e.event_type == "CommunityRegistered" and e.code}
    return sorted(registered - projected), sorted(projected - registered)


def by_phase(events: list[LoggedEvent], marks: list[tuple[datetime, str]]) -> dict[str, int]:
    """How many of `events` were recorded after each mark of the timeline (and before the next):
    says which fault lost them."""
    counts: Counter[str] = Counter()
    for event in events:
        phase = "before the first fault"
        for at, label in marks:
            if event.recorded_at >= at:
                phase = f"after {label}"
        counts[phase] += 1
    return dict(counts)
