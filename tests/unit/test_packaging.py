"""The installable package (what the Dockerfile installs) carries every file the services read.

Migrations, policy packs and the catalogue are data files: a package that forgot one would pass
every test run from the source tree and fail at `wuding migrate` or start-up in the image.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

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
