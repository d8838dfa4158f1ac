"""Conversion events: on the proposal's stream `conversion-<id>`, and the village's end."""

from __future__ import annotations

from pydantic import Field

from shared.eventstore import DomainEvent
from shared.values import CommunityCode, Count, DivisionCode, Label, Name
from shared.workflow import Document, StepFields


class ConversionProposed(DomainEvent):
    """A town proposed converting a village community (撤村建居)."""

    event_type = "ConversionProposed"
    schema_version = 1

    proposal_id: str
    code: CommunityCode = Field(description="The village community's code")
    village_name: Name
    successor_name: Name
    successor_subtype: Label
    successor_division_code: DivisionCode
    collective_assets_quantified: bool = Field(description="清产核资及股权量化 completed")
    fully_demolished: bool = Field(description="整村拆迁: conversion is then compulsory")
    actor_role: Label
    documents: list[Document]


class ConversionStepRecorded(StepFields, DomainEvent):
    event_type = "ConversionStepRecorded"
    schema_version = 1

    votes_for: Count | None = Field(default=None, description="consent")
    votes_total: Count | None = Field(default=None, description="consent")
    successor_code: str | None = Field(default=None, description="Issued at approval")


class CommunityConverted(DomainEvent):
    """On the village community's stream: it ended, converted into `successor_code`."""

    event_type = "CommunityConverted"
    schema_version = 1

    code: str
    successor_code: str
    proposal_id: str
    committee_name_before: Name
    committee_name_after: Name


CONVERSION_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ConversionProposed,
    ConversionStepRecorded,
    CommunityConverted,
)
