"""Staffing's composition root: what its process runs, built from settings."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from services.staffing.district.checks import DistrictChecker, DistrictMarks
from services.staffing.district.events import DISTRICT_EVENT_TYPES
from services.staffing.district.handlers import DistrictHandlers
from services.staffing.district.projections import PayProjection
from services.staffing.district.queries import DistrictQueries
from services.staffing.grids.events import GRID_EVENT_TYPES
from services.staffing.grids.handlers import GridHandlers, GridObserver
from services.staffing.grids.queries import GridQueries
from services.staffing.policy import staffing_policy
from services.staffing.quota.events import QUOTA_EVENT_TYPES
from services.staffing.quota.handlers import QuotaHandlers
from services.staffing.quota.projections import QuotasProjection
from services.staffing.quota.queries import QuotaQueries
from services.staffing.subscribers import subscription
from services.staffing.workforce.events import POSITION_EVENT_TYPES, WORKER_EVENT_TYPES
from services.staffing.workforce.handlers import WorkforceHandlers
from services.staffing.workforce.projections import WorkforceProjection
from services.staffing.workforce.queries import WorkforceQueries
from shared.db import create_pool
from shared.eventstore import EventCatalog
from shared.policy_publication import POLICY_EVENT_TYPES
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def staffing_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/staffing")
    catalog.register(
        *QUOTA_EVENT_TYPES,
        *POSITION_EVENT_TYPES,
        *WORKER_EVENT_TYPES,
        *GRID_EVENT_TYPES,
        *DISTRICT_EVENT_TYPES,
        *POLICY_EVENT_TYPES,
    )
    return catalog


class StaffingQueries(QuotaQueries, WorkforceQueries, GridQueries, DistrictQueries):
    """Every read of staffing, one object."""


class Staffing(ServiceRuntime):
    def __init__(self, settings: KernelSettings, pool: asyncpg.Pool) -> None:
        self.quotas = QuotaHandlers()
        self.grid_observer = GridObserver()
        super().__init__(
            settings,
            pool,
            staffing_catalog(),
            [QuotasProjection(), WorkforceProjection(), PayProjection(), DistrictMarks()],
            [subscription(self.quotas, self.grid_observer)],
        )
        self.policy = staffing_policy(self.pipeline.load)  # the packs deciding now
        self.workforce = WorkforceHandlers(self.pipeline, pool)
        self.grids = GridHandlers(self.pipeline)
        self.district = DistrictHandlers(self.pipeline)
        self.queries = StaffingQueries(pool, self.store, self.catalog)
        # Each district's floors checked as its figures move (district/checks.py).
        self.district_checks = DistrictChecker(pool, self.pipeline, self.queries, self.caught_up)

    def start(self) -> None:
        super().start()
        self.supervise("district-checks", self.district_checks.run)


def staffing_of(request: Request) -> Staffing:
    """The runtime a staffing route serves from (set on the app by shared/service_app.py)."""
    runtime: Staffing = request.app.state.staffing
    return runtime


async def bootstrap(settings: KernelSettings) -> Staffing:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Staffing(settings, await create_pool(url, least_privilege=production))
