"""The fault tier's platform: its own stack and service processes, always torn down."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.stack import FaultStack


@pytest.fixture
async def fault_stack() -> AsyncIterator[FaultStack]:
    # Under /tmp like temporary_stack: PostgreSQL's own user (when run as root) must reach it.
    with tempfile.TemporaryDirectory(prefix="wuding-faults-", ignore_cleanup_errors=True) as tmp:
        stack = FaultStack(Path(tmp))
        try:
            await stack.start()
            yield stack
        finally:
            stack.stop()
