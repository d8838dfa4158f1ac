"""Funding's composition root: what its process runs, built from settings."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from services.funding.ledger.deadline_checks import DeadlineChecker
from services.funding.ledger.deadline_projections import DeadlinesProjection
from services.funding.ledger.events import LEDGER_EVENT_TYPES
from services.funding.ledger.handlers import LedgerHandlers
from services.funding.ledger.projections import BalancesProjection
from services.funding.policy import funding_policy
from services.funding.queries import FundingQueries
from services.funding.standards.events import STANDARD_EVENT_TYPES
from services.funding.standards.handlers import StandardHandlers
from services.funding.standards.projections import CommunitiesProjection, LinesProjection
from services.funding.standards.rollover_handlers import RolloverHandlers
from services.funding.subscribers import subscription
from shared.db import create_pool
from shared.eventstore import EventCatalog
from shared.policy_publication import POLICY_EVENT_TYPES
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def funding_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/funding")
    catalog.register(*STANDARD_EVENT_TYPES, *LEDGER_EVENT_TYPES, *POLICY_EVENT_TYPES)
    return catalog


class Funding(ServiceRuntime):
    def __init__(self, settings: KernelSettings, pool: asyncpg.Pool) -> None:
        self.standards = StandardHandlers()
        super().__init__(
            settings, pool, funding_catalog(),
            [BalancesProjection(), CommunitiesProjection(), DeadlinesProjection(),
             LinesProjection()],
            [subscription(self.standards)],
        )  # fmt: skip
        self.policy = funding_policy(self.pipeline.load)  # the packs deciding now
        self.ledger = LedgerHandlers(pool, self.pipeline)
        self.rollover = RolloverHandlers(pool, self.pipeline, self.policy, self.caught_up)
        self.deadlines = DeadlineChecker(pool, self.pipeline)
        self.queries = FundingQueries(pool, self.store, self.catalog)

    def start(self) -> None:
        super().start()
        self.supervise("deadline-checks", self.deadlines.run)


def funding_of(request: Request) -> Funding:
    """The runtime a funding route serves from (set on the app by shared/service_app.py)."""
    runtime: Funding = request.app.state.funding
    return runtime


async def bootstrap(settings: KernelSettings) -> Funding:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Funding(settings, await create_pool(url, least_privilege=production))
