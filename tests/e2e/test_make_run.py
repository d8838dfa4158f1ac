"""`wuding run` (what `make run` starts): the printed example works, Ctrl-C stops everything,
and the data is still there on the next start (the broker starts empty and is refilled)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.stack.embedded import free_port


def start(cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    errors = (cwd / "run.stderr").open("a")  # read back when a stop fails
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
    )  # fmt: skip
    output, deadline = "", time.monotonic() + 120
    assert proc.stdout is not None
    while "Ctrl-C stops everything" not in output:
        line = proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"wuding run did not come up:\n{output}")
        output += line
    return proc, output


def stop(proc: subprocess.Popen[str], cwd: Path) -> None:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(60)
    assert code == 0, (cwd / "run.stderr").read_text()[-3000:]


def shell(command: str) -> str:
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True
    ).stdout


def test_run_prints_an_example_that_registers_and_reads_back(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("PG", "KAFKA", "GATEWAY", "REGISTRY")}
    env = {**os.environ, **{f"WUDING_{k}_PORT": str(v) for k, v in ports.items()}}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "WUDING_KAFKA_BOOTSTRAP_SERVERS"):
        env.pop(name, None)  # the broker's name and its alias: the embedded one is wanted
    env.pop("WUDING_POSTGRES_ADMIN_URL", None)
    proc, output = start(tmp_path, env)
    try:
        assert f"http://127.0.0.1:{ports['GATEWAY']}/docs" in output
        register = output[output.index("curl -s -X POST") : output.index("curl -s http")]
        found = re.search(r'"code":"(\d{17})"', shell(register))
        assert found, output
        read_line = re.search(r"curl -s http[^\n]+", output)
        assert read_line
        read_back = read_line.group(0).replace("<code>", found.group(1))
        assert json.loads(shell(read_back))["name"] == "庄市街道勤勇社区"
        stop(proc, tmp_path)
        proc, _ = start(tmp_path, env)  # same .wuding/: same data, same keys
        assert json.loads(shell(read_back))["name"] == "庄市街道勤勇社区"
        stop(proc, tmp_path)
    finally:
        if proc.poll() is None:  # a failure above: stop it the way a person would
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
