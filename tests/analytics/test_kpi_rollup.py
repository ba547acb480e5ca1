"""The quarter-hour rollup gives exactly the KPIs a scan of the calls gives.

Calls are loaded the way a centre loads them (``ingest_file`` on CSV files, corrections
and repeats included), in time zones with whole-hour, half-hour and 45-minute offsets
and with daylight saving; then every KPI of every breakdown is computed twice, from the
rollup and by scanning the calls (``use_rollup=False``), and compared.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import duckdb
import pytest
from support.kpi import assert_same, random_calls, write_calls_csv

from analytics import snapshot_cache
from analytics.call_log import changing_calls, save_centre
from analytics.centres import Centre, get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis, rollup
from analytics.kpi import calls as calls_module
from analytics.kpi.buckets import offset_changes
from analytics.kpi.calls import rollup_columns
from analytics.periods import parse_period
from analytics.store import Store

BREAKDOWNS = [
    ((), None),
    (("category",), None),
    (("queue", "site"), None),
    ((), "15min"),
    ((), "30min"),
    (("category",), "60min"),
    ((), "day"),
    (("channel",), "week"),
    ((), "month"),
    ((), "hijri-month"),
]


def store_of_random_calls(tmp_path, name: str, centre_id: str, zone: str, seed: int, n: int):
    """A store ``<name>.duckdb`` holding ``n`` random calls (``random_calls(seed, …)``)
    of a centre in ``zone``, ingested from a CSV file."""
    store = Store(tmp_path / f"{name}.duckdb")
    path = tmp_path / "calls.csv"
    write_calls_csv(path, random_calls(seed, zone, n))
    ingest_file(store, "calls", path, centre_id, timezone=zone)
    return store


def compare_everything(con, centre: Centre) -> int:
    """Every breakdown over three periods and all data, both ways; returns how many of
    the queries the rollup could answer (the rest fell back to the scan)."""
    answered_by_rollup = 0
    for period in [parse_period("2024-03"), parse_period("2024-03-25..2024-04-03"), None]:
        for by, interval in BREAKDOWNS:
            ours = call_kpis(con, centre, period=period, by=by, interval=interval)
            scanned = call_kpis(
                con, centre, period=period, by=by, interval=interval, use_rollup=False
            )
            assert_same(ours, scanned)
            days = (period.start, period.end) if period else (dt.date(2024, 3, 1),) * 2
            if rollup_columns(con, centre, by, centre.sl_thresholds_s, 5.0, period, days):
                answered_by_rollup += 1
    return answered_by_rollup


@pytest.mark.parametrize(
    "zone",
    [
        "Asia/Riyadh",
        "Europe/London",  # DST at 01:00 UTC
        "Asia/Kathmandu",  # UTC+05:45
        "America/St_Johns",  # UTC-03:30 (a half hour, as Asia/Kolkata), and DST
    ],
)
def test_rollup_and_scan_agree_on_every_kpi(tmp_path, zone, monkeypatch):
    store = Store(tmp_path / "rollup.duckdb")
    with store.writer() as con:
        save_centre(con, Centre("c", timezone=zone))
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    rows = random_calls(1, zone, 1500)
    write_calls_csv(first, rows)
    ingest_file(store, "calls", first, "c")
    # a second file: 300 corrections of earlier calls (moved in time, other outcome or
    # wait) and 500 new calls
    corrected = random_calls(2, zone, 300)
    for row, old in zip(corrected, rows[:300], strict=True):
        row["call_id"] = old["call_id"]
    write_calls_csv(second, corrected + random_calls(3, zone, 500, first_id=10_000))
    result = ingest_file(store, "calls", second, "c")
    assert (result.loaded, result.updated) == (500, 300)
    ingest_file(store, "calls", second, "c")  # again: nothing changes
    plans = []  # how the rollup path read each percentile: pruned to the longest waits?
    plan_of = calls_module._p90_plan
    monkeypatch.setattr(
        calls_module, "_p90_plan", lambda *a: plans.append(plan_of(*a)) or plans[-1]
    )
    with store.reader() as con:
        centre = get_centre(con, "c")
        assert rollup.stale_rows(con, centre) == 0
        assert compare_everything(con, centre) == 3 * len(BREAKDOWNS)  # all by the rollup
    # both ways of reading the percentile were compared with the scan's quantile_cont
    assert any(plan is None for plan in plans) and any(plan is not None for plan in plans)


def test_only_zones_on_whole_quarter_hours_can_use_the_rollup():
    """Riyadh kept local mean time (UTC+03:06:52) until 14 March 1947: a quarter-hour of
    UTC then straddled two local quarter-hours, so the rollup may not be used."""
    riyadh = zoneinfo.ZoneInfo("Asia/Riyadh")
    assert not rollup.aligned(offset_changes(riyadh, dt.date(1947, 3, 1), dt.date(1947, 3, 31)))
    assert rollup.aligned(offset_changes(riyadh, dt.date(1947, 4, 1), dt.date(1947, 4, 30)))
    london = zoneinfo.ZoneInfo("Europe/London")
    assert rollup.aligned(offset_changes(london, dt.date(2024, 3, 1), dt.date(2024, 11, 30)))


def test_the_rollup_is_what_answers_when_it_can(tmp_path):
    """Remove a quarter-hour from the rollup behind the KPI layer's back: the centre's
    own thresholds now see one call fewer, other thresholds and topics (which the
    rollup does not keep) still scan the calls and do not."""
    store = store_of_random_calls(tmp_path, "rollup", "bh", "Asia/Bahrain", 4, 200)
    with store.writer() as con:
        con.execute(
            "DELETE FROM call_interval_deltas WHERE rowid = (SELECT min(rowid) "
            "FROM call_interval_deltas WHERE n = 1)"
        )
    with store.reader() as con:
        centre = get_centre(con, "bh")
        assert rollup.stale_rows(con, centre) == 1
        (total,) = call_kpis(con, centre)
        (scanned,) = call_kpis(con, centre, use_rollup=False)
        assert (total["offered"], scanned["offered"]) == (199, 200)
        (other_thresholds,) = call_kpis(con, centre, thresholds_s=(20,))
        assert other_thresholds["offered"] == 200
        by_topic = call_kpis(con, centre, by=("topic",))
        assert sum(row["offered"] for row in by_topic) == 200


def test_new_thresholds_rebuild_the_rollup_and_other_ones_scan(tmp_path):
    store = store_of_random_calls(tmp_path, "rollup", "sa", "Asia/Riyadh", 5, 600)
    with store.writer() as con:
        save_centre(con, get_centre(con, "sa").with_overrides((20, 10, 60, 45, 90), 30))
    with store.reader() as con:
        centre = get_centre(con, "sa")
        (state,) = con.execute(
            "SELECT sl_thresholds_s, short_abandon_s FROM call_interval_state"
        ).fetchall()
        assert state == ([10.0, 20.0, 45.0, 60.0], 30.0)  # the first four, ascending
        assert rollup.stale_rows(con, centre) == 0
        days = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
        period = parse_period("2024-03")
        assert rollup_columns(con, centre, (), (10, 60), 30.0, period, days)
        assert rollup_columns(con, centre, (), (90,), 30.0, period, days) is None
        assert rollup_columns(con, centre, (), (10,), 5.0, period, days) is None
        for thresholds in [(20, 10, 60, 45, 90), (60, 10), (12, 30)]:
            for interval in (None, "30min"):
                ours = call_kpis(
                    con, centre, period=period, interval=interval, thresholds_s=thresholds
                )
                scanned = call_kpis(
                    con,
                    centre,
                    period=period,
                    interval=interval,
                    thresholds_s=thresholds,
                    use_rollup=False,
                )
                assert_same(ours, scanned)


def test_an_older_store_gets_its_rollup_when_opened(tmp_path):
    """A file of schema version 2 (no rollup) is upgraded on first read, rollup built."""
    store = store_of_random_calls(tmp_path, "old", "bh", "Asia/Bahrain", 6, 300)
    with store.writer() as con:
        con.execute("DROP VIEW call_intervals")
        con.execute("DROP TABLE call_interval_deltas")
        con.execute("DROP TABLE call_interval_state")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()  # the next use opens it again, as a new process would
    with store.reader() as con:
        centre = get_centre(con, "bh")
        assert con.execute("SELECT sum(n) FROM call_intervals").fetchall() == [(300,)]
        assert rollup.stale_rows(con, centre) == 0
        assert_same(call_kpis(con, centre, by=("category",)), call_kpis(
            con, centre, by=("category",), use_rollup=False
        ))  # fmt: skip


def test_a_writer_sees_its_own_uncommitted_calls_in_every_kpi(tmp_path):
    """Inside an open transaction the rollup, the counts and the percentile all come
    from the writer's own connection (a second connection would not see the calls)."""
    store = Store(tmp_path / "rollup.duckdb")
    with store.writer() as con:
        centre = Centre("bh", timezone="Asia/Bahrain")
        save_centre(con, centre)
        arrived = dt.datetime(2024, 9, 1, 8, tzinfo=zoneinfo.ZoneInfo("Asia/Bahrain"))
        con.executemany(
            "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s) "
            "VALUES ('bh', ?, ?, 'answered', ?)",
            [[f"c{i}", arrived + dt.timedelta(minutes=i), float(i)] for i in range(11)],
        )
        rollup.refresh(con, centre)
        (row,) = call_kpis(con, centre, period=parse_period("2024-09"))
        assert (row["answered"], row["p90_wait_s"]) == (11, 9.0)  # waits 0..10: rank 9


SHARED_BREAKDOWNS = [
    ((), None),
    (("category",), None),
    (("channel",), "day"),
    ((), "month"),
    (("category", "queue"), "60min"),
    ((), "hijri-month"),
    (("site",), "week"),
    ((), "daily-30min"),
]


@pytest.mark.parametrize("zone", ["Asia/Riyadh", "Europe/London", "Asia/Kathmandu"])
def test_kpis_sharing_one_read_of_the_rollup_are_the_scans_own(tmp_path, monkeypatch, zone):
    """``sharing_rollup``: the queries within its span count from one copy of the rollup
    (read once), and the percentiles within its calls' span from one copy of the longest
    waits (``longest_waits``: sorted once, ranks picked); those outside from the tables;
    every answer is the calls' scan's, the percentile to the very float."""
    store = store_of_random_calls(tmp_path, "shared", "sa", zone, 6, 400)
    monkeypatch.setattr(calls_module, "SORT_FROM", 0)  # the totals' by numbering waits
    reads, calls_reads = [], []
    shared_deltas, shared_calls = calls_module._shared_deltas, calls_module._shared_calls
    monkeypatch.setattr(
        calls_module, "_shared_deltas", lambda *a: reads.append(shared_deltas(*a)) or reads[-1]
    )
    monkeypatch.setattr(
        calls_module,
        "_shared_calls",
        lambda *a: calls_reads.append(shared_calls(*a)) or calls_reads[-1],
    )
    with store.reader() as con:
        centre = get_centre(con, "sa")
        span = parse_period("2024-03-01..2024-04-30")
        with calls_module.sharing_rollup(con, centre, span, parse_period("2024-03")):
            for period in [parse_period("2024-03"), span, parse_period("2024-02-20..2024-03-05")]:
                for by, interval in SHARED_BREAKDOWNS:
                    options = {"period": period, "by": by, "interval": interval}
                    if by:
                        options["filters"] = {"site": ["manama"]}
                    if interval in ("60min", "week"):  # a value and one no call has
                        options["filters"] = {"category": ["employer", "no such"]}
                    assert_same(
                        call_kpis(con, centre, **options),
                        call_kpis(con, centre, **options, use_rollup=False),
                        exact_p90=True,
                    )
        copies = {name for name in reads if name is not None}
        assert len(copies) == 1  # one copy, read once, for every query within the span
        assert reads.count(None) == len(SHARED_BREAKDOWNS)  # February's: from the table
        # March's percentiles from one copy of its longest waits
        assert len({name for name in calls_reads if name is not None}) == 1
        assert len([name for name in calls_reads if name is not None]) >= 2
        with pytest.raises(duckdb.CatalogException):  # gone with the block
            con.execute(f"FROM {copies.pop()}")


def _growth(monkeypatch) -> list[tuple[str, bool]]:
    """A list that records, for each answer ``snapshot_cache`` tries to grow, its key's
    name and whether it was grown (else read whole)."""
    growth: list[tuple[str, bool]] = []
    plain = snapshot_cache._grown

    def spied(con, alias, snapshot, key, tables, grows):
        found = plain(con, alias, snapshot, key, tables, grows)
        growth.append((key[0], found is not snapshot_cache._MISSING))
        return found

    monkeypatch.setattr(snapshot_cache, "_grown", spied)
    return growth


def _assert_summary_is_the_calls_own(con, centre_id: str):
    """``rollup.summary`` against plain SQL over the calls: each routing dimension's codes
    and every quarter-hour with calls; returns the summary."""
    codes, quarters = rollup.summary(con, centre_id)
    for dim in rollup.ROLLUP_DIMENSIONS:
        plain = con.execute(
            f"SELECT DISTINCT {dim} FROM calls WHERE {dim} IS NOT NULL ORDER BY 1"
        ).fetchall()
        assert codes.get(dim, ()) == tuple(row[0] for row in plain), dim
    arrivals = con.execute("SELECT arrived_at FROM calls").fetchall()
    assert quarters == tuple(sorted({rollup.quarter_of(row[0]) for row in arrivals}))
    return codes, quarters


def test_the_shared_copies_grow_with_calls_added_and_stay_the_scans_own(tmp_path, monkeypatch):
    """A page's copies of the rollup and of the longest waits are kept per snapshot; after
    a load that only adds calls, the next reader's copies are the old ones grown by the
    rows inserted (not read whole again), and every answer is still the calls' scan's."""
    store = store_of_random_calls(tmp_path, "grown", "sa", "Asia/Riyadh", 8, 400)
    grown = _growth(monkeypatch)

    def compare() -> None:
        with store.reader() as con:
            centre = get_centre(con, "sa")
            month = parse_period("2024-03")
            with calls_module.sharing_rollup(con, centre, parse_period("2024-03..2024-04"), month):
                for by, interval in SHARED_BREAKDOWNS:
                    options = {"period": month, "by": by, "interval": interval}
                    assert_same(
                        call_kpis(con, centre, **options),
                        call_kpis(con, centre, **options, use_rollup=False),
                    )

    compare()
    more = tmp_path / "more.csv"
    write_calls_csv(more, random_calls(9, "Asia/Riyadh", 150, first_id=50_000))
    ingest_file(store, "calls", more, "sa", timezone="Asia/Riyadh")
    grown.clear()
    compare()
    # all three grown: by quarter-hour, summed per day, the longest waits
    assert {("rollup copy", True), ("rollup days", True), ("calls copy", True)} <= set(grown)
    with store.writer() as con:
        with changing_calls(con, "sa") as calls:
            calls.delete("category = 'visitor'")
    grown.clear()
    compare()
    # calls deleted: their copy is read whole; the rollup only gained (negative) deltas
    assert ("calls copy", True) not in grown
    assert {("rollup copy", True), ("rollup days", True)} <= set(grown)


def test_the_rollups_summary_grows_with_calls_added_and_is_read_whole_when_some_go(
    tmp_path, monkeypatch
):
    """After a load that only adds calls, the summary kept for the snapshot before is
    grown by the deltas inserted; after calls are taken away it is read whole (a code may
    have lost its last call). Each time it is what plain SQL over the calls says."""
    store = store_of_random_calls(tmp_path, "summary_grows", "sa", "Asia/Riyadh", 10, 300)
    growth = _growth(monkeypatch)

    def check() -> None:
        with store.reader() as con:
            _assert_summary_is_the_calls_own(con, "sa")

    check()
    more = tmp_path / "more.csv"
    extra = random_calls(11, "Asia/Riyadh", 80, first_id=70_000)
    for row in extra[:5]:
        row["category"] = "newcomer"
    write_calls_csv(more, extra)
    ingest_file(store, "calls", more, "sa", timezone="Asia/Riyadh")
    check()
    assert growth[-1] == ("rollup summary", True)
    with store.writer() as con:
        with changing_calls(con, "sa") as calls:
            calls.delete("category = 'newcomer'")
    check()
    assert growth[-1] == ("rollup summary", False)


def test_the_rollups_summary_is_what_the_calls_say(tmp_path):
    """``rollup.summary``: each routing dimension's codes and every quarter-hour with calls,
    as plain SQL over the calls says, also after calls were taken away."""
    store = store_of_random_calls(tmp_path, "summary", "sa", "Asia/Riyadh", 7, 300)
    with store.writer() as con:
        with changing_calls(con, "sa") as calls:  # every visitor's call goes
            calls.delete("category = 'visitor'")
    with store.reader() as con:
        codes, _quarters = _assert_summary_is_the_calls_own(con, "sa")
        assert "visitor" not in codes["category"]
