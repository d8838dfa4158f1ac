"""The Prometheus metrics the kernel records; each process serves them on /metrics.

Metric objects are module-level, as the Prometheus client intends; they hold no connection.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString


class LatencyHistogram:
    """A Prometheus histogram for the hot paths: every request, every append.

    Observed from the event loop's thread only (where requests and appends run), so it keeps
    plain integer counts, found by a bisect into the bucket bounds, and no locks. The client
    library's Histogram takes three locks and scans the buckets in Python: ~18 µs of every
    append on this machine (docs/performance.md). Scrapes read it through `collect`, in the
    same exposition format (tests/unit/test_latency_histogram.py compares the two).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames = list(labelnames)
        self.bounds = sorted(buckets)
        # label values -> [count per bucket..., count above the last bound, sum]
        self._series: dict[tuple[str, ...], list[float]] = {}
        if not self.labelnames:
            self._new_series(())  # an unlabelled histogram shows zeros before any observation
        if registry is not None:
            registry.register(self)

    def observe(self, seconds: float, *labels: str) -> None:
        series = self._series.get(labels) or self._new_series(labels)
        series[bisect_left(self.bounds, seconds)] += 1  # Prometheus buckets are "<= bound"
        series[-1] += seconds

    def _new_series(self, labels: tuple[str, ...]) -> list[float]:
        series = self._series[labels] = [0] * (len(self.bounds) + 1) + [0.0]
        return series

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, series in list(self._series.items()):
            cumulative = list(accumulate(series[:-1]))
            bounds = map(floatToGoString, self.bounds)
            buckets = list(zip(bounds, cumulative, strict=False))
            family.add_metric(
                list(labels), [*buckets, ("+Inf", cumulative[-1])], sum_value=series[-1]
            )
        yield family


_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

HTTP_REQUEST_SECONDS = LatencyHistogram(
    "wuding_http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route", "status"],
    buckets=_FAST,
)
APPEND_SECONDS = LatencyHistogram(
    "wuding_eventstore_append_duration_seconds", "Event store append latency", buckets=_FAST
)
RELAY_LAG_SECONDS = Gauge(
    "wuding_relay_lag_seconds", "Age of the oldest event not yet published to Kafka", ["topic"]
)
RELAY_LAG_EVENTS = Gauge(
    "wuding_relay_lag_events",
    "Events in the log not yet published to Kafka (alert when it keeps growing)",
    ["topic"],
)
RELAY_DATA_LOSS = Counter(
    "wuding_relay_data_loss_total",
    "Times the broker reported fewer records than it had acknowledged (the relay republished)",
    ["topic", "partition"],
)
RELAY_PUBLISHED = Counter(
    "wuding_relay_published_events_total", "Events the relay published", ["topic"]
)
SEALS_APPENDED = Counter(
    "wuding_relay_seals_total", "Signed seals the relay appended to the log", ["topic"]
)
PROJECTION_LAG_SECONDS = Gauge(
    "wuding_projection_lag_seconds", "Age of the oldest event not yet projected", ["projection"]
)
CONSUMER_PROCESSED = Counter(
    "wuding_consumer_events_total", "Events a consumer handled", ["consumer", "outcome"]
)
CONSUMER_LAG_SECONDS = Gauge(
    "wuding_consumer_lag_seconds", "Age of the last event a consumer handled", ["consumer"]
)
TASK_RESTARTS = Counter(
    "wuding_task_restarts_total",
    "Background task restarts after an error (shared/supervisor.py)",
    ["service", "task"],
)
PARKED_EVENTS = Gauge(
    "wuding_parked_events",
    "Events a reader could not apply and parked (alert when > 0)",
    ["reader"],
)
