"""The policy-pack routes: every shipped version, in force or not, with its publication."""

from __future__ import annotations

from shared.policy_documents import policy_pack_router

router = policy_pack_router("", lambda request: request.app.state.registry.commands.policy)
