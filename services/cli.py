"""`wuding`: the operator's command line.

wuding run                                 embedded stack + every service (what `make run` does)
wuding serve SERVICE                       one service's process (what `run` starts, and k8s)
wuding migrate [--service S]               apply migrations to the services' databases
wuding migrate --status [--service S]      which ran (when), which are pending, any edited
wuding audit verify --service S            hash chains and seals: name what is missing/altered
wuding audit verify-topic --service S      check the topic, as a subscriber got it, against seals
wuding audit seal-key                      a new seal signing key (a Secret) and its public key
wuding projections rebuild --service S     rebuild read models from the log
wuding projections status --service S      each read model's checkpoint, lag, parked events
wuding projections retry --service S       re-apply parked events (after fixing their cause)
wuding keys new --client-id ID --kind K    a new API key and its client entry (hash only)

Each service adds its own commands through the topology (services/topology.py's `cli`), e.g.
the registry's `wuding policy publish|reevaluate|calibrate` and `wuding seed`
(services/registry/cli.py).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from services.topology import SERVICES
from shared.settings import KernelSettings

KEEP_ALIVE_SECONDS = 65


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def serve(service: str) -> None:
    import uvicorn

    from shared.gc_tuning import tune_gc_for_serving
    from shared.http_server import CoalescingHttpToolsProtocol
    from shared.observability.logging import configure_logging
    from shared.observability.tracing import configure_tracing

    spec = SERVICES[service]
    settings = _load(spec.settings_class)(service=service)
    configure_logging(service, settings.log_level)
    configure_tracing(service, settings.trace_exporter)
    try:
        app = _load(spec.app_factory)(settings)
    except ValueError as exc:  # a configuration it cannot run with (e.g. InvalidClientsFile)
        print(f"wuding serve {service}: {exc}", file=sys.stderr)
        sys.exit(2)
    tune_gc_for_serving()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,  # httptools, each response in one write
        log_config=None,
        access_log=False,
        # Longer than any caller's idle keep-alive (the gateway keeps 30 s), so a caller never
        # sends on a connection the server is closing (uvicorn's default is 5 s).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def _seal_key(settings: KernelSettings) -> Any:
    from shared.sealing import public_key_text, signing_key, verifying_key

    text = settings.seal_verifying_key_text()
    dev_key = Path.cwd() / ".wuding" / "seal-key"  # what `wuding run` made (services/launcher.py)
    if text is None and settings.env == "development" and dev_key.exists():
        text = public_key_text(signing_key(dev_key.read_text("utf-8").strip()))
    if text is None:
        print("seal signatures not checked: set WUDING_SEAL_PUBLIC_KEY", file=sys.stderr)
        return None
    return verifying_key(text)


def _seals_line(seals: int, unsealed: int) -> str:
    if not seals:
        return "no seals yet: a deleted last event or stream would not show"
    return f"{seals} seals checked, {unsealed} events after the newest seal"


async def _audit(service: str) -> int:
    import asyncpg

    from shared.audit import verify

    settings = KernelSettings(service=service)
    conn = await asyncpg.connect(settings.resolved_database_url())
    try:
        report = await verify(conn, key=_seal_key(settings))
    finally:
        await conn.close()
    for finding in report.findings:
        print(finding.describe())
    verdict = "OK" if report.ok else f"FAILED ({len(report.findings)} findings)"
    print(
        f"{verdict}: {report.events_checked} events in {report.streams_checked} streams checked;"
        f" {_seals_line(report.seals, report.unsealed)}"
    )
    return 0 if report.ok else 1


async def _audit_topic(service: str) -> int:
    from shared.kafka import events_topic
    from shared.topic_audit import verify_topic

    settings = KernelSettings(service=service)
    topic = events_topic(service)
    report = await verify_topic(settings.kafka_bootstrap_servers, topic, _seal_key(settings))
    for finding in report.findings:
        print(finding.describe())
    verdict = "OK" if report.ok else f"FAILED ({len(report.findings)} findings)"
    print(
        f"{verdict}: {report.events} events in {report.messages} messages of {topic}"
        f" ({report.duplicates} duplicates); {_seals_line(report.seals, report.unsealed)}"
    )
    return 0 if report.ok else 1


async def _projections(action: str, service: str) -> int:
    settings = KernelSettings(service=service, relay_enabled=False)
    runtime_module = importlib.import_module(f"services.{service}.runtime")
    runtime = await runtime_module.bootstrap(settings)
    try:
        for projector in runtime.projectors:
            if action == "rebuild":
                count = await projector.rebuild()
                print(f"rebuilt {projector.projection.name} from {count} events")
            elif action == "retry":
                applied, left = await projector.retry()
                print(f"{projector.projection.name}: {applied} re-applied, {left} still parked")
        return await _projection_status(runtime.pool) if action == "status" else 0
    finally:
        await runtime.pool.close()


async def _projection_status(pool: Any) -> int:
    """Print every reader's checkpoint, lag and parked events; exit 1 if any is parked."""
    readers = await pool.fetch(
        """SELECT c.name, c.transaction_id, c.position,
               (SELECT count(*) FROM events e
                WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)) AS behind
           FROM checkpoints c ORDER BY c.name"""
    )
    parked = await pool.fetch(
        "SELECT reader, event_id, stream_id, stream_version, event_type, error, held_behind"
        " FROM parked_events ORDER BY reader, stream_id, stream_version"
    )
    names = sorted({r["name"] for r in readers} | {p["reader"] for p in parked})
    at = {r["name"]: r for r in readers}
    for name in names:
        mine = [p for p in parked if p["reader"] == name]
        where = f"at ({at[name]['transaction_id']}, {at[name]['position']}), " if name in at else ""
        behind = f"{at[name]['behind']} events behind, " if name in at else ""
        print(f"{name}: {where}{behind}{len(mine)} parked")
        for p in mine:
            what = f"{p['event_type']} {p['stream_id']} v{p['stream_version']} {p['event_id']}"
            if p["held_behind"]:
                print(f"  held    {what} (behind {p['held_behind']})")
            else:
                print(f"  failed  {what}: {p['error']}")
    return 1 if parked else 0


async def _migration_status(service: str | None) -> int:
    """Each migration of each service: applied (when), pending, or edited since it ran; 1 when
    a file was edited (`wuding migrate` would refuse to run)."""
    from shared.db import migration_status

    edited = False
    for spec in SERVICES.values():
        if service in (None, spec.name):
            url = KernelSettings(service=spec.name).resolved_migration_database_url()
            for status in await migration_status(url, spec.migrations):
                when = status.applied_at.isoformat(timespec="seconds") if status.applied_at else ""
                print(f"{spec.name:10} {status.state:10} {status.name:45} {when}".rstrip())
                edited |= status.state == "edited"
    return 1 if edited else 0


async def _migrate(service: str | None) -> int:
    """As the owner role; the service role is granted what it may do (shared/db.py)."""
    from shared.db import migrate, role_of

    for spec in SERVICES.values():
        if service in (None, spec.name):
            settings = KernelSettings(service=spec.name)
            if settings.migration_database_url is None and settings.database_url is not None:
                if settings.env == "production":
                    print("WUDING_MIGRATION_DATABASE_URL (the owner role) must be set in"
                          " production: the service's own role may not own its log",
                          file=sys.stderr)  # fmt: skip
                    return 2
                role = None  # one role for both (a development set-up of one's own)
            else:
                role = role_of(settings.resolved_database_url())
            owner_url = settings.resolved_migration_database_url()
            applied = await migrate(owner_url, spec.migrations, service_role=role)
            print(f"{spec.name}: {len(applied)} migrations applied")
    return 0


def _new_seal_key() -> int:
    from shared.sealing import new_signing_key, public_key_text, signing_key

    key = new_signing_key()
    print(f"WUDING_SEAL_SIGNING_KEY (the relay's Secret; not stored anywhere): {key}")
    print(f"WUDING_SEAL_PUBLIC_KEY (give it to whoever verifies seals): "
          f"{public_key_text(signing_key(key))}")  # fmt: skip
    return 0


def _new_key(client_id: str, kind: str, prefix: str, name: str) -> int:
    from pydantic import ValidationError

    from services.gateway.auth import Client, hash_key, new_key, validation_message

    key = new_key()
    entry = {
        "client_id": client_id,
        "kind": kind,
        "name": name,
        "division_prefix": prefix,
        "key_sha256": hash_key(key),
    }
    try:  # the gateway would refuse the entry at start-up: refuse it here, before any key
        Client.model_validate(entry)
    except ValidationError as exc:
        print(f"wuding keys new: {validation_message(exc)}", file=sys.stderr)
        return 2
    print(f"API key (give it to the client; it is not stored anywhere): {key}")
    print("Client entry for WUDING_CLIENTS_FILE:")
    print(json.dumps(entry, ensure_ascii=False, indent=2))
    return 0


def _refusal(exc: Exception) -> str:
    """A refusal as the one line an operator reads (no traceback: nothing went wrong inside)."""
    from shared.errors import WudingError

    if isinstance(exc, WudingError):
        reasons = "".join(f"; {p.field}: {p.reason}" for p in exc.errors)
        text = f"{exc.title}: {exc.detail}{reasons}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> None:
    """`wuding`: a refusal (bad input, a rule, a server that is down) is one line on stderr
    and exit 2; anything else is a bug and keeps its traceback."""
    import asyncpg
    from pydantic import ValidationError

    from shared.errors import WudingError
    from shared.stack.embedded import EmbeddedStackMissing

    # OSError and these: the database cannot be reached, or refuses us; say so, once.
    unreachable = (
        OSError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
        asyncpg.PostgresConnectionError,
        asyncpg.InvalidAuthorizationSpecificationError,
    )
    parser = _parser()
    args = parser.parse_args(argv)
    refusals = (
        WudingError, ArithmeticError, EmbeddedStackMissing,
        ValidationError,  # a setting it cannot use, e.g. WUDING_PG_PORT=abc
        *getattr(args, "refusals", ()),  # a service's own (its CLI module sets them)
    )  # fmt: skip
    try:
        _run(parser, args)
    except unreachable as exc:
        hint = (
            _where_to_connect() if isinstance(exc, ConnectionError | asyncpg.PostgresError) else ""
        )
        print(f"wuding: {_refusal(exc)}{hint}", file=sys.stderr)
        sys.exit(2)
    except refusals as exc:
        print(f"wuding: {_refusal(exc)}", file=sys.stderr)
        sys.exit(2)


def _where_to_connect() -> str:
    """Without WUDING_DATABASE_URL the CLI tried the embedded stack's PostgreSQL: say so."""
    settings = KernelSettings()
    if settings.database_url:
        return ""
    return (
        f" (WUDING_DATABASE_URL is not set: tried the embedded stack's PostgreSQL on"
        f" 127.0.0.1:{settings.pg_port}, WUDING_PG_PORT; start it with `wuding run`"
        " or set WUDING_DATABASE_URL)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wuding", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the embedded stack and every service")
    p_serve = sub.add_parser("serve", help="run one service")
    p_serve.add_argument("service", choices=sorted(SERVICES))
    p_migrate = sub.add_parser("migrate", help="apply migrations")
    p_migrate.add_argument("--service", choices=sorted(SERVICES))
    p_migrate.add_argument(
        "--status", action="store_true",
        help="list which migrations ran (and when), which are pending, and any edited since",
    )  # fmt: skip
    p_audit = sub.add_parser("audit", help="audit the event log")
    p_audit.add_argument("action", choices=["verify", "verify-topic", "seal-key"])
    p_audit.add_argument("--service")
    p_proj = sub.add_parser("projections", help="manage read models")
    p_proj.add_argument("action", choices=["rebuild", "status", "retry"])
    p_proj.add_argument("--service", required=True)
    p_keys = sub.add_parser("keys", help="API keys for gateway clients")
    p_keys.add_argument("action", choices=["new"])
    p_keys.add_argument("--client-id", required=True)
    p_keys.add_argument("--kind", choices=["district", "city"], required=True)
    p_keys.add_argument(
        "--prefix", default="", help="a district's division prefix: 2, 4, 6, 9 or 12 digits"
    )
    p_keys.add_argument("--name", default="")
    for spec in SERVICES.values():
        if spec.cli:
            _load(spec.cli)(sub)  # the service's own subcommands, each setting `run`
    return parser


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if run := getattr(args, "run", None):
        sys.exit(run(args))

    if args.command == "run":
        from services.launcher import run_everything

        sys.exit(run_everything(Path.cwd() / ".wuding"))
    if args.command == "serve":
        serve(args.service)
        return
    if args.command == "migrate" and args.status:
        sys.exit(asyncio.run(_migration_status(args.service)))
    if args.command == "migrate":
        sys.exit(asyncio.run(_migrate(args.service)))
    if args.command == "audit" and args.action == "seal-key":
        sys.exit(_new_seal_key())
    if args.command == "audit" and not args.service:
        parser.error(f"audit {args.action} needs --service")
    if args.command == "audit" and args.action == "verify-topic":
        sys.exit(asyncio.run(_audit_topic(args.service)))
    if args.command == "audit":
        sys.exit(asyncio.run(_audit(args.service)))
    if args.command == "projections":
        sys.exit(asyncio.run(_projections(args.action, args.service)))
    if args.command == "keys":
        sys.exit(_new_key(args.client_id, args.kind, args.prefix, args.name))


if __name__ == "__main__":
    main()
