"""Matters' reactions to other services' events (shared/subscribers.py): it follows every
community's registration and conversion on the registry's topic and never calls the registry."""

from __future__ import annotations

from services.matters.lists.handlers import CONSUMER, FOLLOWED_TYPES, ListObserver, observed_stream
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription


def subscription(lists: ListObserver) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, lists.observe)
    return Subscription(CONSUMER, [events_topic("registry")], handlers, observed_stream)
