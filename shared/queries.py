"""The base of a service's read-side queries: its pool for read models, its log for history.

A service's slices each define their queries on it (`CommunityQueries(Queries)`, ...), and the
service's runtime joins them into one object, so a route reads `runtime.queries.<what>`.
"""

from __future__ import annotations

import asyncpg

from shared.eventstore import EventCatalog, EventStore


class Queries:
    def __init__(self, pool: asyncpg.Pool, store: EventStore, catalog: EventCatalog) -> None:
        self.pool = pool
        self.store = store
        self.catalog = catalog
