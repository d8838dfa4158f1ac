"""The lock-free LatencyHistogram exposes exactly what the client library's Histogram would."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from shared.observability.metrics import LatencyHistogram

BUCKETS = (0.0005, 0.001, 0.01, 0.1, 1.0, 2.5)


def exposition(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]


def test_same_exposition_as_the_client_librarys_histogram() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    fast = LatencyHistogram("t_seconds", "latency", ["route", "status"], buckets=BUCKETS,
                            registry=ours)  # fmt: skip
    reference = Histogram("t_seconds", "latency", ["route", "status"], buckets=BUCKETS,
                          registry=theirs)  # fmt: skip
    rng = random.Random(7)
    values = [rng.choice([*BUCKETS, 0.0, 3.0]) for _ in range(200)]  # bounds themselves too
    values += [rng.uniform(0, 3) for _ in range(2000)]
    for i, value in enumerate(values):
        labels = ("/v1/communities/{code}", "200" if i % 3 else "404")
        fast.observe(value, *labels)
        reference.labels(*labels).observe(value)
    assert exposition(ours) == exposition(theirs)
    assert any('le="0.0005"' in line for line in exposition(ours))


def test_unlabelled_and_empty() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    fast = LatencyHistogram("a_seconds", "append", buckets=BUCKETS, registry=ours)
    reference = Histogram("a_seconds", "append", buckets=BUCKETS, registry=theirs)
    assert exposition(ours) == exposition(theirs)  # zeros before the first observation
    for value in (0.0004, 0.02, 7.0):
        fast.observe(value)
        reference.observe(value)
    assert exposition(ours) == exposition(theirs)
