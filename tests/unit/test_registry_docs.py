"""docs/registry.md stays true: every event the registry publishes is documented there."""

from __future__ import annotations

from pathlib import Path

from services.registry.community.events import Indicators
from services.registry.runtime import registry_catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "registry.md"


def test_every_registry_event_is_documented_with_its_fields() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in text.splitlines()
        if line.startswith("| `")
    }
    for name, cls in registry_catalog().types().items():
        assert name in rows, f"{name} is not in docs/registry.md's event tables"
        shorthand = set(Indicators.model_fields) if "the indicators" in rows[name] else set()
        undocumented = [f for f in cls.model_fields if f not in rows[name] and f not in shorthand]
        assert not undocumented, f"{name}: fields {undocumented} are not in docs/registry.md"
