"""Which funding pack decides now: the kernel's publication (shared/policy_publication.py)
over funding's packs. Until a region's first publication its baseline (the earliest version)
decides; afterwards only a published version whose file is unchanged."""

from __future__ import annotations

from services.funding.standards.packs import FundingBook, FundingPack
from shared.policy_publication import PolicyInForce, StreamReader

FundingPolicy = PolicyInForce[FundingPack]


def funding_policy(read: StreamReader, book: FundingBook | None = None) -> FundingPolicy:
    """Funding's packs (the shipped ones unless given), their publications read by `read`."""
    return PolicyInForce(book or FundingBook.shipped(), read)
