"""Funding's policy-pack routes: every shipped standards pack version, in force or not, with its
publication on funding's own policy streams."""

from __future__ import annotations

from shared.policy_documents import policy_pack_router

router = policy_pack_router("/funding", lambda request: request.app.state.funding.policy)
