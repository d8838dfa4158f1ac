"""Which staffing pack decides now: the kernel's publication (shared/policy_publication.py) over
staffing's packs. Until a region's first `wuding staffing policy publish`, its baseline (the
earliest version) decides; afterwards only a published version whose file is unchanged."""

from __future__ import annotations

from services.staffing.quota.packs import StaffingBook, StaffingPack
from shared.policy_publication import PolicyInForce, StreamReader
from shared.queries import Queries

StaffingPolicy = PolicyInForce[StaffingPack]


def staffing_policy(read: StreamReader, book: StaffingBook | None = None) -> StaffingPolicy:
    """Staffing's packs (the shipped ones unless given), their publications read by `read`."""
    return PolicyInForce(book or StaffingBook.shipped(), read)


class PolicyReads(Queries):
    """What a staffing query needs to know which pack decides now (read from the log)."""

    book: StaffingBook = StaffingBook.shipped()

    @property
    def policy(self) -> StaffingPolicy:
        return staffing_policy(self.store.read_stream, self.book)
