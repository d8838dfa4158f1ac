"""The contracts of the services behind the gateway, as services/topology.py lists them.

The gateway reaches a service only through its contract module: adding a service to the
gateway is adding its `contract` to the topology.
"""

from __future__ import annotations

import importlib

from services.topology import SERVICES
from shared.service_contract import ServiceContract


def service_contracts() -> list[ServiceContract]:
    contracts = []
    for spec in SERVICES.values():
        if spec.contract:
            contract = importlib.import_module(spec.contract).CONTRACT
            assert isinstance(contract, ServiceContract) and contract.service == spec.name
            contracts.append(contract)
    return contracts
