"""`wuding run` (what `make run` starts): the printed example request works, Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.stack.embedded import free_port


def test_run_prints_an_example_that_registers_and_reads_back(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("PG", "KAFKA", "GATEWAY", "REGISTRY")}
    env = {**os.environ, **{f"WUDING_{k}_PORT": str(v) for k, v in ports.items()}}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("WUDING_POSTGRES_ADMIN_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while "Ctrl-C stops everything" not in output:
            line = proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                pytest.fail(f"wuding run did not come up:\n{output}")
            output += line
        assert f"http://127.0.0.1:{ports['GATEWAY']}/docs" in output
        example = output[output.index("curl -s -X POST") : output.index("curl -s http")]
        registered = subprocess.run(
            ["bash", "-c", example], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        code = re.search(r'"code":"(\d{17})"', registered)
        assert code, registered
        read_back = output[
            output.index("curl -s http") : output.index("\n", output.index("curl -s http"))
        ]
        read_back = read_back.replace("<code from the answer>", code.group(1))
        body = subprocess.run(
            ["bash", "-c", read_back], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        assert '"name":"庄市街道勤勇社区"' in body
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        assert (tmp_path / ".wuding" / "pgdata" / "PG_VERSION").exists()  # data survives
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
