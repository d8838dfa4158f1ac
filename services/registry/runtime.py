"""The registry's composition root: what its process runs, built from settings.

Each slice (community, grids, establishment, conversion, policy) brings its events, command
handlers, projections and queries; this module joins them over one event store.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.registry.community.events import COMMUNITY_EVENT_TYPES
from services.registry.community.handlers import CommunityHandlers
from services.registry.community.projections import CommunitiesProjection, SizeFindingsProjection
from services.registry.community.queries import CommunityQueries
from services.registry.conversion.events import CONVERSION_EVENT_TYPES
from services.registry.conversion.handlers import ConversionHandlers
from services.registry.conversion.projections import ConversionsProjection
from services.registry.conversion.queries import ConversionQueries
from services.registry.establishment.events import ESTABLISHMENT_EVENT_TYPES
from services.registry.establishment.handlers import EstablishmentHandlers
from services.registry.establishment.projections import EstablishmentsProjection
from services.registry.establishment.queries import EstablishmentQueries
from services.registry.grids.events import GRID_EVENT_TYPES
from services.registry.grids.handlers import GridHandlers
from services.registry.grids.projections import GridsProjection
from services.registry.grids.queries import GridQueries
from services.registry.policy.handlers import PolicyHandlers
from services.registry.policy.packs import PolicyBook, PolicyPack
from shared.db import create_pool
from shared.eventstore import EventCatalog
from shared.pipeline import CommandPipeline
from shared.policy_publication import POLICY_EVENT_TYPES, PolicyInForce
from shared.projections import Projection
from shared.runtime import ServiceRuntime
from shared.settings import KernelSettings


def registry_catalog() -> EventCatalog:
    catalog = EventCatalog(source="/wuding/registry")
    catalog.register(
        *COMMUNITY_EVENT_TYPES, *POLICY_EVENT_TYPES, *GRID_EVENT_TYPES,
        *ESTABLISHMENT_EVENT_TYPES, *CONVERSION_EVENT_TYPES,
    )  # fmt: skip
    return catalog


@dataclass(frozen=True)
class RegistryCommands:
    """Every command handler of the registry, over one command pipeline."""

    policy: PolicyInForce[PolicyPack]  # the packs that decide now, read by every handler
    communities: CommunityHandlers
    grids: GridHandlers
    establishments: EstablishmentHandlers
    conversions: ConversionHandlers
    policies: PolicyHandlers


def registry_commands(
    pipeline: CommandPipeline, book: PolicyBook | None = None
) -> RegistryCommands:
    """The registry's handlers on `pipeline`: the process's (PostgreSQL), or a unit test's over
    the in-memory store (`CommandPipeline(MemoryEventStore(), registry_catalog())`)."""
    policy = PolicyInForce(book or PolicyBook.shipped(), pipeline.load)
    return RegistryCommands(
        policy, CommunityHandlers(pipeline, policy), GridHandlers(pipeline, policy),
        EstablishmentHandlers(pipeline, policy), ConversionHandlers(pipeline, policy),
        PolicyHandlers(pipeline, policy),
    )  # fmt: skip


class RegistryQueries(CommunityQueries, GridQueries, EstablishmentQueries, ConversionQueries):
    """Every read of the registry, one object: each slice's queries over one pool and log."""


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
        self.commands = registry_commands(self.pipeline)
        self.queries = RegistryQueries(pool, self.store, self.catalog)


async def bootstrap(settings: KernelSettings) -> Registry:
    production = settings.env == "production"
    url = settings.resolved_database_url()
    return Registry(settings, await create_pool(url, least_privilege=production))
