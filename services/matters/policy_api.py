"""Matters' policy-pack routes: every shipped catalogue pack version, in force or not, with its
publication on matters' own policy streams."""

from __future__ import annotations

from shared.policy_documents import policy_pack_router

router = policy_pack_router("/matters", lambda request: request.app.state.matters.policy)
