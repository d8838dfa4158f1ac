"""Only the command pipeline appends: no service calls an event store's append itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
APPENDS = {"append", "append_together"}
# The pipeline, the stores themselves, and the relay's sealer: a seal is the log's own
# record of what was published, not a command (no actor, no command id, no wake-up).
ALLOWED = {"shared/pipeline.py", "shared/eventstore/store.py", "shared/eventstore/memory.py",
           "shared/sealing.py"}  # fmt: skip


def store_appends(path: Path) -> list[int]:
    """Lines calling `<...>.store.append(...)` or `store.append(...)` (a list's append is not)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if node.func.attr in APPENDS and "store" in name.lower():
                lines.append(node.lineno)
    return lines


def test_only_the_pipeline_calls_store_append() -> None:
    """Guards: the four styles of registry command handling (once handlers.py, grid_commands.py,
    establishment_commands.py, conversion_commands.py) each called `store.append` with metadata
    built by hand; now every slice's handlers save through shared/pipeline.py."""
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("services", "shared")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        for line in store_appends(path)
    }
    assert found == set()


def test_the_check_finds_a_direct_append() -> None:
    source = ROOT / "services/registry/community/handlers.py"
    assert store_appends(source) == []
    probe = Path(__file__).with_name("_probe_append.py")
    try:
        probe.write_text("async def f(self):\n    await self.store.append('s', p, [])\n")
        assert store_appends(probe) == [2]
    finally:
        probe.unlink()
