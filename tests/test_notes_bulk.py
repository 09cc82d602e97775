"""The generator's bulk note path numbers and stamps notes as one add after another."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator.app import Simulator
from simulator.clock import Clock
from simulator.settings import Settings

START = datetime(2024, 3, 10, 6, tzinfo=UTC)
#: Order id, content, UTC seconds; one instant on each side of a DST change in Paris.
NOTES = [
    (101, "first", 1_711_846_000),
    (102, "second", 1_711_850_000),
    (101, "third", 1_711_860_000),
]


def _notes(timezone: str, bulk: bool) -> list[tuple[int, int, int, int, str, bool, str]]:
    sim = Simulator(Settings(timezone=timezone), clock=Clock(START, frozen=True))
    table = sim.store.note_table
    table.add(100, "before")
    if bulk:
        table.add_many(NOTES)
    else:
        for order_id, content, at in NOTES:
            table.add(order_id, content, at=at)
    table.add(102, "after")
    return [
        (n.id, n.order_id, n.created, n.created_wall, n.content, n.customer_note, n.author)
        for order_id in (100, 101, 102)
        for n in table.of_order(order_id)
    ]


def test_bulk_notes_match_one_add_after_another() -> None:
    for timezone in ("UTC", "Europe/Paris"):
        bulk = _notes(timezone, bulk=True)
        assert bulk == _notes(timezone, bulk=False)
        assert [n[0] for n in sorted(bulk)] == [1, 2, 3, 4, 5]


def test_bulk_notes_use_the_site_wall_clock() -> None:
    paris = {n[4]: n for n in _notes("Europe/Paris", bulk=True)}
    assert paris["first"][3] - paris["first"][2] == 3600  # before the change: UTC+1
    assert paris["third"][3] - paris["third"][2] == 7200  # after it: UTC+2


def test_bulk_notes_wait_for_the_first_read_and_keep_their_numbers() -> None:
    table = Simulator(clock=Clock(START, frozen=True)).store.note_table
    table.add_many(NOTES)
    table.add_many([(103, "fourth", 1_711_870_000)])
    assert len(table) == 4  # counted before they are made
    table.drop_order(101)  # the first read: every bulk note is made, then 101's go
    assert sorted(table.by_id) == [2, 4]
    assert [n.content for n in table.of_order(103)] == ["fourth"]
    second = table.get(2)
    assert second is not None and second.content == "second"
    assert table.add(102, "fifth").id == 5
