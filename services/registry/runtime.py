"""The registry's composition root: what its process runs, built from settings."""

from __future__ import annotations

import asyncpg

from services.registry.conversion import CONVERSION_EVENT_TYPES
from services.registry.conversion_commands import ConversionCommands
from services.registry.domain import EVENT_TYPES
from services.registry.establishment import ESTABLISHMENT_EVENT_TYPES
from services.registry.establishment_commands import EstablishmentCommands
from services.registry.grid_commands import GridCommands
from services.registry.handlers import Handlers
from services.registry.projections import (
    CommunitiesProjection,
    ConversionsProjection,
    EstablishmentsProjection,
    GridsProjection,
    SizeFindingsProjection,
)
from services.registry.queries import CommunityQueries
from shared.db import create_pool
from shared.eventstore import EventCatalog
from shared.projections import Projection
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def registry_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/registry")
    catalog.register(*EVENT_TYPES, *ESTABLISHMENT_EVENT_TYPES, *CONVERSION_EVENT_TYPES)
    return catalog


class Registry(ServiceRuntime):
    def __init__(self, settings: KernelSettings, pool: asyncpg.Pool) -> None:
        projections: list[Projection] = [
            CommunitiesProjection(),
            SizeFindingsProjection(),
            GridsProjection(),
            EstablishmentsProjection(),
            ConversionsProjection(),
        ]
        super().__init__(settings, pool, registry_catalog(), projections)
        self.handlers = Handlers(self.store, self.catalog)
        self.grid_commands = GridCommands(self.handlers)
        self.establishments = EstablishmentCommands(self.handlers)
        self.conversions = ConversionCommands(self.handlers)
        self.queries = CommunityQueries(pool, self.store, self.catalog)


async def bootstrap(settings: KernelSettings) -> Registry:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Registry(settings, await create_pool(url, least_privilege=production))
