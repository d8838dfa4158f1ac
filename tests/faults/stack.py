"""A private platform the fault tier may kill: embedded PostgreSQL and Tansu on free ports, and
the registry, staffing, funding and the gateway as separate `wuding serve` processes, started
as `wuding run` starts them (services/launcher.py). Nothing here is shared with the other
tiers' servers.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from services.gateway.auth import hash_key, new_key
from services.launcher import spawn_service
from services.topology import DatabaseUrls, prepare_databases
from shared.sealing import new_signing_key
from shared.stack.embedded import EmbeddedBroker, EmbeddedPostgres, free_port

DISTRICT_PREFIX = "330211"
SERVICES = ("registry", "staffing", "funding", "gateway")


class KillableBroker(EmbeddedBroker):
    def kill(self) -> None:
        """SIGKILL: the broker loses what it held in memory, as a crashed Tansu does."""
        process = self._process
        if process is not None:
            process.kill()
            process.wait(10)
        self._process = None


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it (from /proc), so a kill leaves no orphan behind."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_tree(pid: int, timeout: float = 15.0) -> None:
    pids = _descendants(pid)
    for each in pids:
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while any(_alive(each) for each in pids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {pids} outlived SIGKILL by {timeout}s")
        time.sleep(0.05)


async def wait_for_port(port: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s") from exc
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return


class FaultStack:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.postgres = EmbeddedPostgres(root / "pgdata", free_port())
        self.broker = KillableBroker(free_port(), root / "tansu.log")
        self.ports = {name: free_port() for name in SERVICES}
        self.keys = {"district": new_key()}
        self.clients_file = root / "clients.json"
        self.seal_key = new_signing_key()
        self.urls: dict[str, DatabaseUrls] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def registry(self) -> str:
        return f"http://127.0.0.1:{self.ports['registry']}"

    def log_path(self, name: str) -> Path:
        return {
            "postgres": self.postgres.data_dir / "server.log",
            "broker": self.broker.log_path,
        }.get(name, self.root / f"{name}.log")

    async def start(self) -> None:
        await asyncio.to_thread(self.postgres.start)  # pg_ctl daemonizes PostgreSQL
        # Popen in this thread: the children get SIGTERM when the thread that forked them ends.
        self.broker.start()
        self.urls = await prepare_databases(self.postgres.admin_url, {})  # throwaway passwords
        entry = {
            "client_id": "zhenhai",
            "kind": "district",
            "name": "镇海区",
            "division_prefix": DISTRICT_PREFIX,
            "key_sha256": hash_key(self.keys["district"]),
        }
        self.clients_file.write_text(json.dumps([entry], ensure_ascii=False), "utf-8")
        for name in SERVICES:
            await self.start_service(name)

    async def start_service(self, name: str) -> None:
        with self.log_path(name).open("ab") as output:
            self.processes[name] = spawn_service(
                name, self.urls[name].service, self.broker.bootstrap_servers, self.ports,
                self.clients_file, output=output, WUDING_ENV="test",
                WUDING_FORWARD_TIMEOUT_SECONDS="5", WUDING_SEAL_SIGNING_KEY=self.seal_key,
                WUDING_SEAL_EVERY_EVENTS="100",  # several seals, some cut by a kill
            )  # fmt: skip
        await wait_for_port(self.ports[name], timeout=90)

    async def kill(self, name: str) -> None:
        """kill -9 one part: `broker`, `postgres` or a service."""
        if name == "broker":
            self.broker.kill()
        elif name == "postgres":
            pid = int((self.postgres.data_dir / "postmaster.pid").read_text().split()[0])
            await asyncio.to_thread(_kill_tree, pid)  # the postmaster and every backend
        else:
            process = self.processes[name]
            process.kill()
            await asyncio.to_thread(process.wait, 15)

    async def restart(self, name: str) -> None:
        if name == "broker":
            self.broker.start()
        elif name == "postgres":
            await asyncio.to_thread(self.postgres.start)  # crash recovery, then it listens
        else:
            await self.start_service(name)

    def exited(self) -> dict[str, int]:
        """Services that are not running, with their exit codes."""
        return {name: code for name, p in self.processes.items() if (code := p.poll()) is not None}

    def stop(self) -> None:
        """Everything this stack started, whatever state a test left it in."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.broker.stop()
        pid_file = self.postgres.data_dir / "postmaster.pid"
        try:
            self.postgres.stop()
        except Exception:  # a PostgreSQL that will not stop in time is killed
            if pid_file.exists():
                _kill_tree(int(pid_file.read_text().split()[0]))

    def tails(self, lines: int = 8) -> str:
        """What each process logged, for a failure report: its warnings and errors counted by
        kind, the last exception, and its last lines."""
        parts = []
        for name in ("registry", "staffing", "funding", "gateway", "broker", "postgres"):
            path = self.log_path(name)
            text = path.read_text("utf-8", "replace") if path.exists() else ""
            parts.append(f"--- {name} ({path}):\n{digest(text.splitlines(), lines)}")
        return "\n".join(parts)


def _our_frame(traceback: str) -> str:
    """The innermost frame of the project's own code in a traceback: where it went wrong."""
    frames = [x.strip() for x in traceback.splitlines() if x.strip().startswith("File ")]
    ours = [
        x for x in frames if "site-packages" not in x and ("/shared/" in x or "/services/" in x)
    ]
    if not ours:
        return ""
    path, _, rest = ours[-1].removeprefix('File "').partition('", line ')
    line, _, function = rest.partition(", in ")
    return f"at {'/'.join(path.split('/')[-2:])}:{line} {function}"


def digest(lines: list[str], last: int) -> str:
    kinds: Counter[str] = Counter()
    exception = ""
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):  # the services' JSON logs
            if entry.get("level") in ("warning", "error", "critical"):
                error = str(entry.get("error", ""))[:120]
                where = _our_frame(str(entry.get("exception", "")))
                kind = f"{entry['level']} {entry.get('event', '')[:60]!r} {error} {where}"
                kinds[kind.strip()] += 1
            if entry.get("exception"):  # its last line names it (PostgreSQL's DETAIL aside)
                named = [x for x in str(entry["exception"]).splitlines() if x[:1] not in " D"]
                exception = named[-1] if named else ""
        elif any(word in line for word in ("FATAL", "PANIC", "ERROR")):  # PostgreSQL's log
            kinds[line.split("]", 1)[-1].strip()[:160]] += 1
    counted = [f"  {n} x {kind}" for kind, n in kinds.most_common(12)]
    tail = [f"  | {line[:300]}" for line in lines[-last:]]
    return "\n".join(
        [*counted, *([f"  last exception: {exception[:300]}"] if exception else []), *tail]
    )
