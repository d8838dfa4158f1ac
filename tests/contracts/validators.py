"""The real validators the contract tests run: npm's @asyncapi/parser (tests/contracts/node).

`npm ci` installs it from the committed package-lock.json the first time it is needed (the
npm registry is all a fresh machine needs); node_modules is not committed.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

NODE = Path(__file__).parent / "node"
_INSTALLED = NODE / "node_modules" / ".package-lock.json"  # npm writes it last


def _install() -> None:
    lock = NODE / "package-lock.json"
    if not _INSTALLED.exists() or _INSTALLED.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=NODE, check=True, capture_output=True, timeout=600,
        )  # fmt: skip


def asyncapi_errors(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The parser's error diagnostics on `document` (warnings and hints left out)."""
    _install()
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False)
        f.flush()
        run = subprocess.run(
            ["node", str(NODE / "validate-asyncapi.mjs"), f.name],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    if run.returncode not in (0, 1):
        raise RuntimeError(f"the AsyncAPI parser did not run: {run.stderr}")
    return [d for d in json.loads(run.stdout) if d["severity"] == 0]
