"""Funding's reactions to other services' events (shared/subscribers.py): every community's
registration, indicators and conversion on the registry's topic, and every admitted and exited
matter on matters' (费随事转). It never calls either service."""

from __future__ import annotations

from services.funding.standards.decide import FOLLOWED_TYPES
from services.funding.standards.handlers import CONSUMER, StandardHandlers, observed_stream
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription

FOLLOWED_MATTER_TYPES = ("MatterAdmitted", "MatterExited")


def subscription(standards: StandardHandlers) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, standards.observe)
    handlers |= dict.fromkeys(FOLLOWED_MATTER_TYPES, standards.follow_matter)
    topics = [events_topic("registry"), events_topic("matters")]
    return Subscription(CONSUMER, topics, handlers, observed_stream)
