"""Staffing's reactions to other services' events (shared/subscribers.py): it follows every
community on the registry's topic and never calls the registry."""

from __future__ import annotations

from services.staffing.quota.decide import FOLLOWED_TYPES
from services.staffing.quota.handlers import CONSUMER, QuotaHandlers
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription


def subscription(quotas: QuotaHandlers) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, quotas.observe)
    return Subscription(CONSUMER, [events_topic("registry")], handlers)
