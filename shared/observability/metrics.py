"""The Prometheus metrics the kernel records; each process serves them on /metrics.

Metric objects are module-level, as the Prometheus client intends; they hold no connection.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

HTTP_REQUEST_SECONDS = Histogram(
    "wuding_http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route", "status"],
    buckets=_FAST,
)
APPEND_SECONDS = Histogram(
    "wuding_eventstore_append_duration_seconds", "Event store append latency", buckets=_FAST
)
RELAY_LAG_SECONDS = Gauge(
    "wuding_relay_lag_seconds", "Age of the oldest event not yet published to Kafka", ["topic"]
)
RELAY_PUBLISHED = Counter(
    "wuding_relay_published_events_total", "Events the relay published", ["topic"]
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
