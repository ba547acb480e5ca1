"""Edge cases of the quarter-hour rollup: the KPIs it gives must be those a scan of the
calls gives (``call_kpis(..., use_rollup=False)``), and it must stay in step with the
calls (``rollup.stale_rows == 0``) after every sanctioned write.

Everything goes through real DuckDB files and the real ingest (CSV files). The logs
are small and hand-made so that each case is visible: waits exactly at the thresholds,
groups of one and two answered calls, all waits equal, ties at the percentile's ranks,
a group with only abandons, days of a DST change in zones whose offsets or changes are
not whole hours (Kathmandu +05:45, St John's -03:30, Lord Howe's 30-minute shift,
Chatham +12:45/+13:45), a second centre, corrections that move a call to another
month. The last three tests found bugs, since fixed.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.kpi import assert_same, write_calls_csv

from analytics.call_log import save_centre
from analytics.centres import Centre, get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis, rollup
from analytics.kpi import calls as calls_module
from analytics.kpi.calls import rollup_columns
from analytics.periods import parse_period
from analytics.records import CALL_COLUMNS
from analytics.store import Store

ALL_DIMS = ("category", "queue", "site", "channel")


def call(call_id, arrived_at, outcome="answered", wait_s=10.0, **columns) -> dict:
    row = dict.fromkeys(CALL_COLUMNS, "")
    row.update(call_id=call_id, arrived_at=arrived_at, outcome=outcome, wait_s=wait_s)
    if outcome == "answered":
        row.update(talk_s=60, acw_s=5)
    row.update(channel="phone")
    row.update(columns)
    return row


def load(store: Store, tmp_path, name: str, rows: list[dict], centre_id: str, zone=None):
    path = tmp_path / f"{name}.csv"
    write_calls_csv(path, rows)
    result = ingest_file(store, "calls", path, centre_id, timezone=zone)
    assert result.rejected == 0, result
    return result


def both_ways(con, centre: Centre, **query) -> list[dict]:
    ours = call_kpis(con, centre, **query)
    assert_same(ours, call_kpis(con, centre, use_rollup=False, **query))
    return ours


def edge_log(zone: str, day: str, prefix: str = "") -> list[dict]:
    """Calls on local ``day`` (naive local times, read in the centre's zone) and on the
    days around it, in separate groups of the four routing dimensions:

    * a: waits exactly 5, 12, 12, 30, 30 (at S and both thresholds), answered
    * b: one answered call (p90 = its wait, fraction 0), wait 31 > both thresholds
    * c: two answered calls above the thresholds (p90 between them, fraction 0.9)
    * d: eleven answered calls all waiting 40 s (ties at both ranks, fraction 0)
    * e: only abandons and a timeout (no answered call: p90 None), one short
    * f: ten answered waits 0..7 and 45, 45 (ranks k = 8, 9 above 30 s: pruned read)
    * NULL category and queue for the calls of group g
    """
    rows: list[dict] = []
    base = dt.datetime.fromisoformat(day)

    def add(group, offset_min, outcome="answered", wait=10.0, **columns):
        at = base + dt.timedelta(minutes=offset_min)
        values = dict(category=group, queue=f"q-{group}", site="s1") | columns
        rows.append(call(f"{prefix}{len(rows)}", at.isoformat(), outcome, wait, **values))

    for i, wait in enumerate([5.0, 12.0, 12.0, 30.0, 30.0]):
        add("a", 7 + 97 * i, wait=wait)
    add("b", 133, wait=31.0)
    add("c", 29, wait=45.5)
    add("c", 1439, wait=31.25)  # 23:59 local: the last minute of the day
    for i in range(11):
        add("d", 61 * i, wait=40.0)
    add("e", 15, "abandoned", 4.9)
    add("e", 30, "abandoned", 5.0)
    add("e", 45, "timeout", 120.0)
    for i, wait in enumerate([0, 1, 2, 3, 4, 5, 6, 7, 45, 45]):
        add("f", 125 * i + 1, wait=float(wait), channel="chat")
    add("", 200, wait=3.0, site="s2")  # '' is stored as NULL category and queue
    add("", 201, "abandoned", 20.0, queue="", site="s2")
    # the days either side, so that periods and weeks cut through data
    for shift in (-1, 1, 2):
        add("a", 24 * 60 * shift + 600, wait=14.0 + shift)
        add("f", 24 * 60 * shift + 660, "abandoned", 2.0)
    return rows


QUERIES = [
    dict(),
    dict(by=ALL_DIMS),
    dict(by=("category",)),
    dict(by=("queue", "site")),
    dict(interval="15min"),
    dict(interval="30min", by=("category",)),
    dict(interval="60min"),
    dict(interval="day", by=ALL_DIMS),
    dict(interval="week", by=("category",)),
    dict(interval="month"),
    dict(interval="hijri-month", by=("category",)),
    dict(thresholds_s=(30, 12, 12)),
    dict(thresholds_s=(12,), by=("category",)),
    dict(short_abandon_s=5.0, by=("site",)),
]


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Asia/Kathmandu", "2024-03-10"),  # +05:45
        ("America/St_Johns", "2024-03-10"),  # -03:30 -> -02:30 at 02:00 local
        ("Australia/Lord_Howe", "2024-04-07"),  # +11:00 -> +10:30 at 02:00 local
        ("Pacific/Chatham", "2024-04-07"),  # +13:45 -> +12:45 at 03:45 local
    ],
)
def test_edge_groups_agree_both_ways_in_odd_zones(tmp_path, zone, day, monkeypatch):
    store = Store(tmp_path / "edges.duckdb")
    with store.writer() as con:  # thresholds out of order and repeated
        save_centre(con, Centre("c", timezone=zone, sl_thresholds_s=(30, 12, 12)))
    load(store, tmp_path, "calls", edge_log(zone, day), "c")
    plans = []  # how the rollup read each percentile (pruned to the longest waits or not)
    plan_of = calls_module._p90_plan
    monkeypatch.setattr(
        calls_module, "_p90_plan", lambda *a: plans.append(plan_of(*a)) or plans[-1]
    )
    first = dt.date.fromisoformat(day)
    periods = [
        None,
        parse_period(day),
        parse_period(f"{first - dt.timedelta(days=1)}..{first + dt.timedelta(days=1)}"),
        parse_period(first.strftime("%Y-%m")),
        parse_period("2023-01"),  # no calls at all
    ]
    with store.reader() as con:
        centre = get_centre(con, "c")
        assert centre.sl_thresholds_s == (30.0, 12.0, 12.0)
        assert rollup.stale_rows(con, centre) == 0
        by_rollup = 0
        for period in periods:
            for query in QUERIES:
                rows = both_ways(con, centre, period=period, **query)
                days = (period.start, period.end) if period else (first, first)
                thresholds = query.get("thresholds_s", centre.sl_thresholds_s)
                dims = query.get("by", ())
                by_rollup += (
                    rollup_columns(con, centre, dims, thresholds, 5.0, period, days) is not None
                )
                if period is not None and period.label == "2023-01" and not dims:
                    assert all(row["offered"] == 0 for row in rows)
        assert by_rollup == len(periods) * len(QUERIES)  # every query was the rollup's
        (day_total,) = call_kpis(con, centre, period=periods[1])
        assert (day_total["offered"], day_total["answered"]) == (34, 30)
        groups = {
            row["category"]: row
            for row in call_kpis(con, centre, by=("category",), period=periods[1])
        }
        assert groups["b"]["p90_wait_s"] == 31.0
        assert groups["c"]["p90_wait_s"] == pytest.approx(31.25 + 0.9 * (45.5 - 31.25))
        assert groups["d"]["p90_wait_s"] == 40.0
        assert groups["e"]["p90_wait_s"] is None and groups["e"]["short_abandoned"] == 1
        assert groups["f"]["p90_wait_s"] == 45.0
        assert groups[None]["offered"] == 2
    assert any(plan is None for plan in plans) and any(plan is not None for plan in plans)


def test_rollup_stays_in_step_through_every_write(tmp_path):
    """Two centres in one store; new calls, a repeat of a file, corrections that move
    calls to another month (and to another day of a DST change), new thresholds and S:
    after each write both centres' rollups equal one rebuilt from their calls."""
    store = Store(tmp_path / "writes.duckdb")
    with store.writer() as con:
        save_centre(con, Centre("ktm", timezone="Asia/Kathmandu"))
        save_centre(con, Centre("lhi", timezone="Australia/Lord_Howe"))

    def check(expected_offered: dict[str, int]) -> None:
        with store.reader() as con:
            for cid, offered in expected_offered.items():
                centre = get_centre(con, cid)
                assert rollup.stale_rows(con, centre) == 0, cid
                (total,) = both_ways(con, centre)
                assert total["offered"] == offered, cid
                both_ways(con, centre, by=ALL_DIMS, period=parse_period("2024-04"))
                both_ways(con, centre, interval="30min", period=parse_period("2024-04-07"))
                both_ways(con, centre, interval="month")

    ktm = edge_log("Asia/Kathmandu", "2024-04-07")
    lhi = edge_log("Australia/Lord_Howe", "2024-04-07")  # the same call ids
    load(store, tmp_path, "ktm1", ktm, "ktm")
    load(store, tmp_path, "lhi1", lhi, "lhi")
    check({"ktm": len(ktm), "lhi": len(lhi)})
    result = load(store, tmp_path, "ktm1", ktm, "ktm")  # the same file again
    assert (result.loaded, result.updated) == (0, 0)
    check({"ktm": len(ktm), "lhi": len(lhi)})
    # corrections: a call moved to May, one to March, one between the repeated half-hour
    # of Lord Howe's fall back and its other occurrence, one changed outcome; a new call
    moved = [dict(r) for r in lhi[:4]]
    moved[0]["arrived_at"] = "2024-05-31T23:59:59+10:30"
    moved[1]["arrived_at"] = "2024-03-01T00:00:00+11:00"
    moved[2]["arrived_at"] = "2024-04-07T01:45:00+11:00"  # 01:45 before the change
    moved[3].update(outcome="abandoned", wait_s=2.5, talk_s="", acw_s="")
    new = call("new-1", "2024-04-07T01:45:00+10:30", wait_s=33.0)  # 01:45 after it
    result = load(store, tmp_path, "lhi2", [*moved, new], "lhi")
    assert (result.loaded, result.updated) == (1, 4)
    check({"ktm": len(ktm), "lhi": len(lhi) + 1})
    with store.reader() as con:
        (may,) = both_ways(con, get_centre(con, "lhi"), period=parse_period("2024-05"))
        assert may["offered"] == 1
    # new thresholds (five: the rollup keeps the first four) and S rebuild the rollup
    with store.writer() as con:
        centre = get_centre(con, "ktm").with_overrides((45, 10, 20, 30, 12), 3)
        save_centre(con, centre)
    check({"ktm": len(ktm), "lhi": len(lhi) + 1})
    with store.reader() as con:
        centre = get_centre(con, "ktm")
        for thresholds in [(10, 20), (30, 12, 10), (20,)]:
            query = dict(thresholds_s=thresholds, short_abandon_s=3, by=("category",))
            assert rollup_columns(con, centre, ("category",), thresholds, 3, None, None)
            both_ways(con, centre, **query)
            both_ways(con, centre, interval="week", **query)
    # a file that corrects a call of the other centre's id space leaves lhi alone
    result = load(store, tmp_path, "ktm2", [dict(ktm[0], wait_s=99.0)], "ktm")
    assert result.updated == 1
    check({"ktm": len(ktm), "lhi": len(lhi) + 1})


def test_a_reader_kept_open_gets_the_same_answers_twice(tmp_path):
    """A reader keeps its connection (with an unfinished result on it) while a writer
    publishes more calls: both of its call_kpis see its snapshot, both ways."""
    store = Store(tmp_path / "reader.duckdb")
    load(store, tmp_path, "a", edge_log("UTC", "2024-03-05"), "c", zone="UTC")
    with store.reader() as con:
        centre = get_centre(con, "c")
        pending = con.execute("SELECT * FROM calls")
        pending.fetchone()
        first = both_ways(con, centre, by=("category",), interval="hijri-month")
        load(store, tmp_path, "b", [call("late", "2024-03-05T10:00:00", wait_s=99.0)], "c")
        pending = con.execute("SELECT * FROM calls")
        pending.fetchone()
        assert both_ways(con, centre, by=("category",), interval="hijri-month") == first
        (total,) = both_ways(con, centre)
    with store.reader() as con:
        (after,) = both_ways(con, get_centre(con, "c"))
        assert after["offered"] == total["offered"] + 1


waits = st.one_of(
    st.sampled_from([0.0, 4.9, 5.0, 12.0, 30.0, 30.5, 40.0]),
    st.integers(0, 120).map(float),
)
calls_strategy = st.lists(
    st.tuples(
        st.integers(0, 9 * 24 * 4 - 1),  # quarter-hour of 2024-04-03..11 local
        st.integers(0, 899),  # second within it
        st.sampled_from(["answered", "answered", "answered", "abandoned", "timeout"]),
        waits,
        st.sampled_from(["x", "y", ""]),
        st.sampled_from(["q", ""]),
    ),
    min_size=0,
    max_size=40,
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    logs=calls_strategy,
    zone=st.sampled_from(["Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns"]),
)
def test_generated_logs_agree_both_ways(tmp_path_factory, logs, zone):
    tmp = tmp_path_factory.mktemp("generated")
    store = Store(tmp / "generated.duckdb")
    start = dt.datetime(2024, 4, 3)
    rows = [
        call(
            f"g{i}",
            (start + dt.timedelta(minutes=15 * quarter, seconds=second)).isoformat(),
            outcome,
            wait,
            category=category,
            queue=queue,
        )
        for i, (quarter, second, outcome, wait, category, queue) in enumerate(logs)
    ]
    with store.writer() as con:
        save_centre(con, Centre("g", timezone=zone))
    if rows:
        load(store, tmp, "g", rows, "g")
    try:
        with store.reader() as con:
            centre = get_centre(con, "g")
            assert rollup.stale_rows(con, centre) == 0
            for query in [
                dict(),
                dict(by=("category", "queue"), period=parse_period("2024-04-05..2024-04-08")),
                dict(interval="15min", period=parse_period("2024-04-07")),
                dict(interval="day", by=("queue",)),
            ]:
                rows_back = both_ways(con, centre, **query)
                assert sum(r["offered"] for r in rows_back) <= len(rows)
    finally:
        store.close()  # each example's store detached (attached ones slow each other)


# ---------------------------------------------------------------------------------------
# Found by this file, fixed since (each test failed before its fix)


def test_pruned_p90_is_the_same_float_as_quantile_cont(tmp_path):
    """Seven answered waits [1.8, 1.0, 0.6, 37.6, 7.0, 2.1, 41.2]: rank 0.9·6 = 5.4, so
    p90 = 37.6 + 0.4·(41.2 - 37.6); DuckDB's quantile_cont gives 39.04 and five waits
    are within 30 s (≤ k = 5), so the rollup path reads only the two longest waits and
    interpolates itself, which gave 39.040000000000006. Both paths now report the
    percentile to the nanosecond: the same float."""
    store = Store(tmp_path / "p90.duckdb")
    waits = [1.8, 1.0, 0.6, 37.6, 7.0, 2.1, 41.2]
    rows = [call(f"p{i}", f"2024-03-04T09:0{i}:00", wait_s=w) for i, w in enumerate(waits)]
    load(store, tmp_path, "p90", rows, "c", zone="UTC")
    with store.reader() as con:
        centre = get_centre(con, "c")
        ((expected,),) = con.execute("SELECT quantile_cont(wait_s, 0.9) FROM calls").fetchall()
        (scanned,) = call_kpis(con, centre, use_rollup=False)
        (ours,) = call_kpis(con, centre)
    assert ours["p90_wait_s"] == scanned["p90_wait_s"] == round(expected, 9) == 39.04


def test_calls_before_1970_are_refused_and_the_rollup_floors_quarters(tmp_path):
    """A call before 1970 is a clock or parsing error: ingest quarantines it. A rollup
    refreshed over such rows (written by SQL) still agrees with the calls: its
    quarter-hours are floored like ``rollup.quarter_of`` (DuckDB's // truncates)."""
    store = Store(tmp_path / "old.duckdb")
    path = tmp_path / "old.csv"
    write_calls_csv(
        path, [call("a", "1969-12-31T23:50:00+00:00"), call("b", "1970-01-01T00:05:00Z")]
    )
    result = ingest_file(store, "calls", path, "c", timezone="UTC")
    assert (result.loaded, result.rejected) == (1, 1)
    assert [(r.line, r.column, r.reason) for r in result.first_rejects] == [
        (2, "arrived_at", "is before 1970 (a clock or parsing error?)")
    ]
    with store.writer() as con:
        centre = get_centre(con, "c")
        con.execute(
            "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s) VALUES "
            "('c', 'x', TIMESTAMPTZ '1969-12-31 23:50:00+00', 'answered', 3), "
            "('c', 'y', TIMESTAMPTZ '1969-12-31 23:55:00+00', 'answered', 4)"
        )
        early = dt.datetime(1969, 12, 31, 23, 50, tzinfo=dt.UTC)
        rollup.refresh(con, centre, early, early)  # the quarter-hour of x and y only
    with store.reader() as con:
        centre = get_centre(con, "c")
        assert rollup.stale_rows(con, centre) == 0
        day = parse_period("1969-12-31")
        assert [r["offered"] for r in both_ways(con, centre)] == [3]
        assert [r["offered"] for r in both_ways(con, centre, period=day)] == [2]


def _kpis_in_a_child(db_path: str, use_rollup: bool, out) -> None:
    with Store(db_path).reader() as con:
        (row,) = call_kpis(con, get_centre(con, "c"), use_rollup=use_rollup)
    out.put(row["p90_wait_s"])


def test_call_kpis_in_a_forked_child_after_the_parent_used_them(tmp_path):
    store = Store(tmp_path / "fork.duckdb")
    rows = [call(f"f{i}", f"2024-03-04T09:{i:02d}:00", wait_s=3.0 * i) for i in range(20)]
    load(store, tmp_path, "f", rows, "c", zone="UTC")
    with store.reader() as con:
        (parent,) = call_kpis(con, get_centre(con, "c"))  # starts the background pool
    context = multiprocessing.get_context("fork")
    answers = {}
    for use_rollup in (False, True):
        out = context.Queue()
        child = context.Process(target=_kpis_in_a_child, args=(str(store.path), use_rollup, out))
        child.start()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()
            answers[use_rollup] = "hung"
        else:
            answers[use_rollup] = out.get(timeout=5)
    assert answers == {False: parent["p90_wait_s"], True: parent["p90_wait_s"]}
