"""Staffing's reactions to other services' events (shared/subscribers.py): it follows every
community on the registry's topic and never calls the registry."""

from __future__ import annotations

from services.staffing.grids.handlers import GRID_FOLLOWED_TYPES, GridObserver
from services.staffing.quota.decide import FOLLOWED_TYPES
from services.staffing.quota.handlers import CONSUMER, QuotaHandlers, observed_stream
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription


def subscription(quotas: QuotaHandlers, grids: GridObserver) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, quotas.observe)
    handlers |= dict.fromkeys(GRID_FOLLOWED_TYPES, grids.observe)
    return Subscription(CONSUMER, [events_topic("registry")], handlers, observed_stream)
