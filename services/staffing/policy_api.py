"""Staffing's policy-pack routes: every shipped quota pack version, in force or not, with its
publication on staffing's own policy streams."""

from __future__ import annotations

from shared.policy_documents import policy_pack_router

router = policy_pack_router("/staffing", lambda request: request.app.state.staffing.policy)
