"""Matters' composition root: what its process runs, built from settings."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from services.matters.admission.events import ADMISSION_EVENT_TYPES
from services.matters.admission.handlers import AdmissionHandlers
from services.matters.admission.projections import AdmissionsProjection
from services.matters.admission.queries import AdmissionQueries
from services.matters.burden.queries import BurdenQueries
from services.matters.lists.events import LIST_EVENT_TYPES
from services.matters.lists.handlers import ListObserver
from services.matters.lists.projections import ListsProjection
from services.matters.lists.queries import ListQueries
from services.matters.policy import matters_policy
from services.matters.subscribers import subscription
from services.matters.tasks.events import TASK_EVENT_TYPES
from services.matters.tasks.handlers import TaskHandlers
from shared.db import create_pool
from shared.eventstore import EventCatalog
from shared.policy_publication import POLICY_EVENT_TYPES
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def matters_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/matters")
    catalog.register(
        *LIST_EVENT_TYPES, *ADMISSION_EVENT_TYPES, *TASK_EVENT_TYPES, *POLICY_EVENT_TYPES
    )
    return catalog


class MattersQueries(ListQueries, AdmissionQueries, BurdenQueries):
    """Every read of matters, one object."""


class Matters(ServiceRuntime):
    def __init__(self, settings: KernelSettings, pool: asyncpg.Pool) -> None:
        self.lists = ListObserver()
        super().__init__(
            settings,
            pool,
            matters_catalog(),
            [ListsProjection(), AdmissionsProjection()],
            [subscription(self.lists)],
        )
        self.policy = matters_policy(self.pipeline.load)  # the packs deciding now
        self.tasks = TaskHandlers(pool, self.pipeline)
        self.admissions = AdmissionHandlers(pool, self.pipeline)
        self.queries = MattersQueries(pool, self.store, self.catalog)


def matters_of(request: Request) -> Matters:
    """The runtime a matters route serves from (set on the app by shared/service_app.py)."""
    runtime: Matters = request.app.state.matters
    return runtime


async def bootstrap(settings: KernelSettings) -> Matters:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Matters(settings, await create_pool(url, least_privilege=production))
