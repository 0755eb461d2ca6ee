"""Concurrent writers keep the pre-aggregated rollups right.

Each test runs two writers truly at once, in two threads with a connection each, and holds the first
one's transaction open (just after its upkeep of the aggregates, or a recomputation just after it wrote
its rows) until the second one has started: on PostgreSQL until the second waits for a lock the first
holds (seen in `pg_stat_activity`), on SQLite until it has started and sleeps in its busy handler. Then
the first commits, and the aggregate rows must equal a fresh recomputation and rollups from them must
equal the value scan.

On SQLite the suite's in-memory test database is shared-cache, where a second writer fails at once
("database table is locked") instead of waiting, unlike the file database Minga runs on. So these tests
copy it into a file with the production settings (WAL, a busy timeout, IMMEDIATE transactions) and run
every connection of the test on that file: the second writer must wait for the first and then write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from minga.core.bulk.sql import is_postgres, select
from minga.measurement import aggregates, selectors, spans
from minga.measurement.ingest import ValueWriter
from minga.measurement.models import AggregateState, Aggregation, DataValue, Indicator, ValueAggregate
from tests.factories.api import ApiClient
from tests.factories.databases import on_sqlite_file
from tests.factories.measurement import make_indicator, make_period
from tests.measurement.test_aggregates import assert_matches_recomputation, figures, scan, write

pytestmark = pytest.mark.django_db(transaction=True)

FIRST, SECOND = "first", "second"
WAIT = 20.0  # seconds: only ever reached when something is wrong


# --- the machinery -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def database(db: Any, tmp_path: Path) -> Iterator[None]:
    """On SQLite, every connection of the test (this thread's and the writers') on a file copy of the
    test database with the production settings; on PostgreSQL, the test database as it is."""
    if connection.vendor != "sqlite":
        yield
        return
    with on_sqlite_file(tmp_path / "concurrency.sqlite3"):
        yield


class Trace:
    """What happened, in order, across the threads."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, event: str) -> None:
        with self._lock:
            self.events.append((threading.current_thread().name, event))

    def index(self, thread: str, event: str) -> int:
        return self.events.index((thread, event))


class Gate:
    """Holds the FIRST thread's transaction open after a chosen step until `release`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, trace: Trace) -> None:
        self.held, self.released = threading.Event(), threading.Event()
        self.monkeypatch, self.trace = monkeypatch, trace
        original_write = ValueWriter.write

        def traced_write(writer: ValueWriter, *args: Any, **kwargs: Any) -> Any:
            trace("writes")  # on SQLite: only once the transaction holds the write lock
            return original_write(writer, *args, **kwargs)

        monkeypatch.setattr(ValueWriter, "write", traced_write)
        original_map = aggregates._map_nodes

        def traced_map(*args: Any, **kwargs: Any) -> Any:
            trace("writes")  # a recomputation's first step after it locked the state row
            return original_map(*args, **kwargs)

        monkeypatch.setattr(aggregates, "_map_nodes", traced_map)

    def after(self, owner: Any, name: str) -> None:
        """Hold FIRST after `owner.name` returns (still inside its transaction)."""
        original = getattr(owner, name)
        held, released, trace = self.held, self.released, self.trace

        def holding(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if threading.current_thread().name == FIRST:
                trace("holds")
                held.set()
                assert released.wait(WAIT)
                trace("goes on")
            return result

        self.monkeypatch.setattr(owner, name, holding)

    def release(self) -> None:
        self.released.set()


class Writer(threading.Thread):
    """Runs `job` in a thread of its own (hence a database connection of its own), keeping its result
    or its error."""

    def __init__(self, name: str, job: Callable[[], Any], trace: Trace) -> None:
        super().__init__(name=name, daemon=True)
        self.job, self.trace = job, trace
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.trace("starts")
            self.result = self.job()
        except BaseException as error:  # reported by `outcome` in the test's thread
            self.error = error
        finally:
            connection.close()

    def outcome(self) -> Any:
        self.join(WAIT)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def lock_waiters() -> int:
    """PostgreSQL: how many sessions of the test database wait for a lock another holds."""
    rows = select(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        [],
    )
    return int(rows[0][0])


def run_together(
    gate: Gate, trace: Trace, first: Callable[[], Any], second: Callable[[], Any]
) -> tuple[Any, Any]:
    """Start `first` and let it reach the gate, start `second` while `first`'s transaction is open and
    wait until it is held up by it, then let `first` commit; return both results."""
    one, two = Writer(FIRST, first, trace), Writer(SECOND, second, trace)
    one.start()
    try:
        assert gate.held.wait(WAIT), "the first writer never reached the gate"
        two.start()
        if is_postgres():
            deadline = time.monotonic() + WAIT
            while not lock_waiters() and two.is_alive() and time.monotonic() < deadline:
                time.sleep(0.005)
            # The second transaction must really be held up by the first: waiting on a row or key lock.
            waited = two.is_alive() and lock_waiters() > 0
        else:
            # Nothing shows that a SQLite connection sleeps in its busy handler: give it time to get
            # there. The order is asserted afterwards (the second wrote only after the first let go).
            time.sleep(0.2)
            waited = True
    finally:
        gate.release()  # also when failing, so that no transaction outlives the test
    results = one.outcome(), (two.outcome() if two.ident is not None else None)
    assert waited, "the second writer did not wait for the first"
    return results


@pytest.fixture
def trace() -> Trace:
    return Trace()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch, trace: Trace) -> Gate:
    return Gate(monkeypatch, trace)


@pytest.fixture
def members(world: Any) -> Indicator:
    """A summed indicator, March, and current (empty) aggregates."""
    make_period(world.alpha, "202603")
    aggregates.reaggregate(collective=world.alpha)
    return make_indicator(world.alpha, code="members")


def assert_consistent(world: Any, indicator: Indicator) -> None:
    """Rollups from the aggregates answer as the value scan does, and the rows equal a recomputation."""
    march = make_period(world.alpha, "202603")
    assert aggregates.is_current(world.alpha.pk)
    for area, by in [
        (selectors.Area(world.alpha), "child"),
        (selectors.Area(world.alpha), ""),
        (selectors.Area(world.alpha, group=world.kenya), "child"),
        (selectors.Area(world.alpha, group=world.region_a), "period"),
        (selectors.Area(world.alpha, group=world.region_b), "period"),
    ]:
        args: dict[str, Any] = {
            "viewer": world.admin,
            "indicator": indicator,
            "area": area,
            "period_list": [march],
            "by": by,
        }
        result = selectors.rollup(**args)
        assert result.from_aggregates
        assert figures(result) == figures(scan(**args)), (area.group, by)
    assert_matches_recomputation(world.alpha)


def assert_serialised_on_sqlite(trace: Trace) -> None:
    """SQLite has one writer at a time: the second started before the first let go of its transaction,
    and wrote only after (it waited, rather than failing with "database is locked")."""
    if is_postgres():
        return
    assert trace.index(SECOND, "starts") < trace.index(FIRST, "goes on")
    assert trace.index(FIRST, "goes on") < trace.index(SECOND, "writes")


def stored_value(indicator: Indicator, group: Any) -> float | None:
    found = DataValue.objects.filter(indicator=indicator, group=group).first()
    return None if found is None else found.value


# --- the tests -----------------------------------------------------------------------------------------


def test_two_api_batches_for_different_groups_under_one_node_both_count(
    world: Any, members: Indicator, gate: Gate, trace: Trace
) -> None:
    gate.after(aggregates.Deltas, "save")
    api = ApiClient(world.admin)

    def batch(*values: tuple[Any, int]) -> Callable[[], Any]:
        body = {
            "collective": "alpha",
            "values": [
                {"indicator": "members", "group": g.code, "period": "202603", "value": v} for g, v in values
            ],
        }
        return lambda: api.post("/datavalues", body)

    # Both add to Kenya's row; the first also to Nairobi's, the second to Coast's and Nairobi's.
    one, two = run_together(
        gate,
        trace,
        batch((world.kibera, 3), (world.region_b, 4)),
        batch((world.mombasa, 5), (world.region_a, 2), (world.kenya, 1)),
    )
    assert (one.status_code, two.status_code) == (200, 200), (one.content, two.content)
    assert (one.json()["created"], two.json()["created"]) == (2, 3)
    assert ValueAggregate.objects.get(node=world.kenya, indicator=members).total == 15.0
    assert_serialised_on_sqlite(trace)
    assert_consistent(world, members)


# Two writers of the same value: on PostgreSQL the second waits for the first's advisory lock
# (`ValueWriter._take_turns`) and then reads what it committed — without it, its UPDATE or DELETE waited
# on the row and then applied deltas from the value it had read before, and a value created by both made
# the second batch fail on the natural key.


@pytest.mark.parametrize(
    ("before", "first", "second", "final"),
    [(5, 7, 9, 9.0), (5, "", 9, 9.0), (5, 7, "", None), (5, "", "", None), (None, 7, 9, 9.0)],
    ids=["update-update", "delete-update", "update-delete", "delete-delete", "create-create"],
)
def test_two_writers_changing_the_same_value_keep_the_later_one(
    world: Any,
    gate: Gate,
    trace: Trace,
    before: float | None,
    first: Any,
    second: Any,
    final: float | None,
) -> None:
    """Kibera's value (5: the minimum and maximum of Nairobi's row) created, changed or deleted by two
    writers at once: the value is the second writer's, and the rows count it once."""
    make_period(world.alpha, "202603")
    indicator = make_indicator(world.alpha, code="lowest", aggregation=Aggregation.MIN)
    aggregates.reaggregate(collective=world.alpha)
    write(world, [(indicator, world.mombasa, "202603", 8)])
    if before is not None:
        write(world, [(indicator, world.kibera, "202603", before)])
    gate.after(aggregates.Deltas, "save")
    run_together(
        gate,
        trace,
        lambda: write(world, [(indicator, world.kibera, "202603", first)]),
        lambda: write(world, [(indicator, world.kibera, "202603", second)]),
    )
    assert stored_value(indicator, world.kibera) == final
    assert_serialised_on_sqlite(trace)
    assert_consistent(world, indicator)


def test_a_file_import_and_an_api_batch_together(
    world: Any, members: Indicator, gate: Gate, trace: Trace, tmp_path: Path
) -> None:
    from minga.core.bulk import get_record_type
    from minga.core.bulk.formats import open_table
    from minga.core.bulk.runner import run_import

    write(world, [(members, world.mombasa, "202603", 10)])
    path = tmp_path / "values.csv"
    path.write_text(
        "indicator,group,period,option,value,comment\n"
        f"members,{world.kibera.code},202603,,12,\nmembers,{world.region_b.code},202603,,4,\n"
    )
    gate.after(aggregates.Deltas, "save")
    api = ApiClient(world.admin)
    body = {
        "collective": "alpha",
        "values": [
            {"indicator": "members", "group": world.mombasa.code, "period": "202603", "value": 11},
            {"indicator": "members", "group": world.region_a.code, "period": "202603", "value": 2},
        ],
    }
    report, response = run_together(
        gate,
        trace,
        lambda: run_import(
            record_type=get_record_type("datavalues"),
            actor=world.admin,
            collective=world.alpha,
            table=open_table(path),
        ),
        lambda: api.post("/datavalues", body),
    )
    assert report.created == 2 and report.committed
    assert response.status_code == 200 and (response.json()["created"], response.json()["updated"]) == (1, 1)
    assert ValueAggregate.objects.get(node=world.kenya, indicator=members).total == 29.0
    assert_serialised_on_sqlite(trace)
    assert_consistent(world, members)


@pytest.mark.parametrize(
    "held", ["writer", "recomputation", "recomputation of stale rows", "first recomputation"]
)
def test_a_writer_and_a_recomputation_at_once(world: Any, gate: Gate, trace: Trace, held: str) -> None:
    """Either one holds its transaction open and the other waits for it (the writer reads the state
    row FOR SHARE, the recomputation locks it FOR UPDATE): the writer's values are counted once, by
    its upkeep or by the recomputation."""
    make_period(world.alpha, "202603")
    indicator = make_indicator(world.alpha, code="members")
    if held != "first recomputation":  # then no state row at all yet
        aggregates.reaggregate(collective=world.alpha)
    write(world, [(indicator, world.kibera, "202603", 3), (indicator, world.mombasa, "202603", 5)])
    if held == "recomputation of stale rows":  # as after a group moved: the writer skips its upkeep
        AggregateState.objects.filter(collective=world.alpha).update(current=False)

    def writer() -> Any:
        return write(
            world, [(indicator, world.kibera, "202603", 6), (indicator, world.region_b, "202603", 2)]
        )

    def recomputation() -> Any:
        return aggregates.reaggregate(collective=world.alpha)

    if held == "writer":
        gate.after(aggregates.Deltas, "save")
        run_together(gate, trace, writer, recomputation)
    else:
        # Held with its rows written from the values it saw, before it marks them current.
        gate.after(aggregates, "_replace")
        run_together(gate, trace, recomputation, writer)
    assert_serialised_on_sqlite(trace)
    assert ValueAggregate.objects.get(node=world.kenya, indicator=indicator).total == 13.0
    assert_consistent(world, indicator)


@pytest.mark.parametrize("rule", [Aggregation.LAST, Aggregation.COUNT])
def test_two_writers_of_one_series_in_different_periods(
    world: Any, gate: Gate, trace: Trace, rule: str
) -> None:
    """Kibera reported in January; one writer adds March while another adds February. Each moves
    January's next report (the span rows, `spans`): on PostgreSQL the second waits for the first's
    series lock and then reads its March, so January ends up followed by February, February by March."""
    quarter = [make_period(world.alpha, code) for code in ("202601", "202602", "202603")]
    indicator = make_indicator(world.alpha, code="stock", aggregation=rule)
    aggregates.reaggregate(collective=world.alpha)
    write(world, [(indicator, world.kibera, "202601", 1), (indicator, world.mombasa, "202601", 4)])
    gate.after(spans, "save_changes")
    run_together(
        gate,
        trace,
        lambda: write(world, [(indicator, world.kibera, "202603", 3)]),
        lambda: write(world, [(indicator, world.kibera, "202602", 2)]),
    )
    assert_serialised_on_sqlite(trace)
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": selectors.Area(world.alpha),
        "period_list": quarter,
        "by": "child",
    }
    result = selectors.rollup(**args)
    assert result.from_aggregates
    assert result.total == (7.0 if rule == Aggregation.LAST else 2.0)
    assert figures(result) == figures(scan(**args))
    assert_matches_recomputation(world.alpha)
