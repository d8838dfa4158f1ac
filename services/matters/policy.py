"""Which matters pack decides now: the kernel's publication (shared/policy_publication.py) over
matters' packs. Until a region's first `wuding matters policy publish`, its baseline (the
earliest version) decides; afterwards only a published version whose file is unchanged."""

from __future__ import annotations

from services.matters.catalogue.packs import MattersBook, MattersPack
from shared.policy_publication import PolicyInForce, StreamReader

MattersPolicy = PolicyInForce[MattersPack]


def matters_policy(read: StreamReader, book: MattersBook | None = None) -> MattersPolicy:
    """Matters' packs (the shipped ones unless given), their publications read by `read`."""
    return PolicyInForce(book or MattersBook.shipped(), read)
