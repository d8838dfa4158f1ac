"""docs/staffing.md stays true: every event type staffing publishes is named there."""

from __future__ import annotations

from pathlib import Path

from services.staffing.runtime import staffing_catalog

DOC = (Path(__file__).parents[2] / "docs/staffing.md").read_text(encoding="utf-8")


def test_every_staffing_event_type_is_in_its_doc() -> None:
    missing = [name for name in staffing_catalog().types() if f"`{name}`" not in DOC]
    assert missing == []
