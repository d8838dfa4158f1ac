"""Funding's reactions to other services' events (shared/subscribers.py): it follows every
community's registration, indicators and conversion on the registry's topic and never calls
the registry."""

from __future__ import annotations

from services.funding.standards.decide import FOLLOWED_TYPES
from services.funding.standards.handlers import CONSUMER, StandardHandlers, observed_stream
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription


def subscription(standards: StandardHandlers) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, standards.observe)
    return Subscription(CONSUMER, [events_topic("registry")], handlers, observed_stream)
