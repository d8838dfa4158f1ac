"""The pure comparison the relay makes before and after every batch."""

from shared.relay_offsets import lost_partitions


def test_a_partition_is_lost_only_when_the_broker_holds_less_than_it_acknowledged() -> None:
    acked = {0: 10, 1: 4}
    assert lost_partitions(acked, {0: 10, 1: 5}) == []
    assert lost_partitions(acked, {0: 9, 1: 4}) == [0]
    assert lost_partitions(acked, {0: 0, 1: 0}) == [0, 1]  # a broker back empty
    assert lost_partitions(acked, {2: 0}) == []  # never written to: nothing to lose
    assert lost_partitions({}, {0: 0}) == []
