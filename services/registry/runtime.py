"""The registry's composition root: what its process runs, built from settings."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.registry.conversion import CONVERSION_EVENT_TYPES
from services.registry.conversion_commands import ConversionCommands
from services.registry.domain import EVENT_TYPES
from services.registry.establishment import ESTABLISHMENT_EVENT_TYPES
from services.registry.establishment_commands import EstablishmentCommands
from services.registry.grid_commands import GridCommands
from services.registry.handlers import Handlers
from services.registry.policy import PolicyBook
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
from shared.pipeline import CommandPipeline
from shared.projections import Projection
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def registry_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/registry")
    catalog.register(*EVENT_TYPES, *ESTABLISHMENT_EVENT_TYPES, *CONVERSION_EVENT_TYPES)
    return catalog


@dataclass(frozen=True)
class RegistryCommands:
    """Every command handler of the registry, over one command pipeline."""

    handlers: Handlers
    grid_commands: GridCommands
    establishments: EstablishmentCommands
    conversions: ConversionCommands


def registry_commands(
    pipeline: CommandPipeline, policies: PolicyBook | None = None
) -> RegistryCommands:
    """The registry's handlers on `pipeline`: the process's (PostgreSQL), or a unit test's over
    the in-memory store (`CommandPipeline(MemoryEventStore(), registry_catalog())`)."""
    handlers = Handlers(pipeline.store, pipeline.catalog, policies, pipeline)
    return RegistryCommands(
        handlers, GridCommands(handlers), EstablishmentCommands(handlers),
        ConversionCommands(handlers),
    )  # fmt: skip


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
        commands = registry_commands(self.pipeline)
        self.handlers = commands.handlers
        self.grid_commands = commands.grid_commands
        self.establishments = commands.establishments
        self.conversions = commands.conversions
        self.queries = CommunityQueries(pool, self.store, self.catalog)


async def bootstrap(settings: KernelSettings) -> Registry:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Registry(settings, await create_pool(url, least_privilege=production))
