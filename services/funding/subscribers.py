"""Funding's reactions to other services' events (shared/subscribers.py): every community's
registration, indicators, party organisation and conversion on the registry's topic, every
admitted and exited matter on matters' (费随事转), and every qualification and assignment of a
worker on staffing's (qualification bonuses). It never calls any of them."""

from __future__ import annotations

from services.funding.standards.decide import FOLLOWED_TYPES
from services.funding.standards.events import community_stream, worker_stream
from services.funding.standards.handlers import CONSUMER, StandardHandlers, observed_stream
from shared.cloudevents import IncomingEvent
from shared.kafka import events_topic
from shared.subscribers import Reaction, Subscription

FOLLOWED_MATTER_TYPES = ("MatterAdmitted", "MatterExited")
ASSIGNMENTS = ("WorkerAssigned", "WorkerTransferred")


def reacting_stream(event: IncomingEvent) -> str:
    """The funding stream a reaction folds first: the community's, or a worker's."""
    if event.type in ASSIGNMENTS or (
        event.type == "QualificationObtained" and not event.data.get("code")
    ):
        return worker_stream(str(event.data.get("worker_id") or event.subject))
    if event.type == "QualificationObtained":
        return community_stream(str(event.data["code"]))
    return observed_stream(event)


def subscription(standards: StandardHandlers) -> Subscription:
    handlers: dict[str, Reaction] = dict.fromkeys(FOLLOWED_TYPES, standards.observe)
    handlers |= dict.fromkeys(FOLLOWED_MATTER_TYPES, standards.follow_matter)
    handlers["QualificationObtained"] = standards.reward_qualification
    handlers |= dict.fromkeys(ASSIGNMENTS, standards.release_held)
    topics = [events_topic("registry"), events_topic("matters"), events_topic("staffing")]
    return Subscription(CONSUMER, topics, handlers, reacting_stream)
