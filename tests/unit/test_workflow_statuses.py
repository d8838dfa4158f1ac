"""The establishment and conversion lists filter on a strict status enum (issue 8 §6)."""

from __future__ import annotations

from typing import get_args

from services.registry.conversion.workflow import CONVERSION, ConversionStatus
from services.registry.establishment.workflow import ESTABLISHMENT, EstablishmentStatus


def test_the_status_filters_name_every_status_of_their_workflow() -> None:
    """Guards: a list's status filter (anything else is a 422) accepts exactly the statuses
    its workflow can reach, no more and no fewer."""
    assert set(get_args(EstablishmentStatus)) == set(ESTABLISHMENT.next_step)
    assert set(get_args(ConversionStatus)) == set(CONVERSION.next_step)
