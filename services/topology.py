"""Which services exist, how each is served, where its migrations are, and how they connect.

`wuding run`, the CLI (and each service's own commands) and the test fixtures all read this
one table.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from shared.db import (
    ensure_database,
    ensure_role,
    hand_over,
    migrate,
    migration_files,
    with_role,
)

_SERVICES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app_factory: str  # "module:function" taking the service's settings
    settings_class: str  # "module:Class"
    default_port: int
    event_sourced: bool  # has the kernel's events, checkpoints and inbox tables
    # "module" exporting CONTRACT (shared/service_contract.py): its routes at the gateway
    contract: str | None = None
    # "module:function" adding the service's own `wuding` subcommands to the CLI's argparse
    # subparsers (services/cli.py); each sets `run` (args -> exit code) and `refusals`.
    cli: str | None = None

    @property
    def migrations(self) -> list[Path]:
        return migration_files(
            _SERVICES_DIR / self.name / "migrations", with_kernel=self.event_sourced
        )

    @property
    def database(self) -> str:
        return f"wuding_{self.name}"

    @property
    def owner_role(self) -> str:
        """Runs the migrations and owns the tables; the service never connects as it."""
        return f"wuding_{self.name}_owner"

    @property
    def service_role(self) -> str:
        """What the service connects as: it may append to its log, never alter it."""
        return f"wuding_{self.name}"


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec(
            "registry",
            "services.registry.app:create_app",
            "shared.settings:KernelSettings",
            8101,
            True,
            contract="services.registry.contract",
            cli="services.registry.cli:add_commands",
        ),
        ServiceSpec(
            "staffing",
            "services.staffing.app:create_app",
            "shared.settings:KernelSettings",
            8102,
            True,
            contract="services.staffing.contract",
            cli="services.staffing.cli:add_commands",
        ),
        ServiceSpec(
            "funding",
            "services.funding.app:create_app",
            "shared.settings:KernelSettings",
            8103,
            True,
            contract="services.funding.contract",
            cli="services.funding.cli:add_commands",
        ),
        ServiceSpec(
            "matters",
            "services.matters.app:create_app",
            "shared.settings:KernelSettings",
            8104,
            True,
            contract="services.matters.contract",
            cli="services.matters.cli:add_commands",
        ),
        ServiceSpec(
            "gateway",
            "services.gateway.app:create_app",
            "services.gateway.settings:GatewaySettings",
            8000,
            False,
        ),
    )
}


def database_url(admin_url: str, database: str) -> str:
    """The server's admin URL with another database name."""
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{database}"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str  # migrations (WUDING_MIGRATION_DATABASE_URL)
    service: str  # the running service (WUDING_DATABASE_URL)


async def prepare_database(
    admin_url: str, spec: ServiceSpec, database: str, passwords: dict[str, str]
) -> DatabaseUrls:
    """As the admin: the service's two roles and its database; then migrate it as the owner.

    `passwords` maps role names to passwords (made by the caller, kept out of the repository);
    a role missing from it gets one added.
    """
    for role in (spec.owner_role, spec.service_role):
        password = passwords.setdefault(role, secrets.token_urlsafe(24))
        await ensure_role(admin_url, role, password)
    await ensure_database(admin_url, database, owner=spec.owner_role)
    await hand_over(database_url(admin_url, database), spec.owner_role)
    urls = DatabaseUrls(
        owner=with_role(admin_url, database, spec.owner_role, passwords[spec.owner_role]),
        service=with_role(admin_url, database, spec.service_role, passwords[spec.service_role]),
    )
    await migrate(urls.owner, spec.migrations, service_role=spec.service_role)
    return urls


async def prepare_databases(admin_url: str, passwords: dict[str, str]) -> dict[str, DatabaseUrls]:
    """Each service's roles and database, migrated; return the URLs."""
    return {
        spec.name: await prepare_database(admin_url, spec, spec.database, passwords)
        for spec in SERVICES.values()
    }
