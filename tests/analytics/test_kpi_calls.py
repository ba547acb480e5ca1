"""Call KPIs on small logs whose every figure is worked out by hand in the docstrings.

The ten-call log (centre in Riyadh, T = 12 and 30 s, S = 5 s):

    1 answered wait 0     talk 100 hold 10 acw 20  (handle 130)   employer
    2 answered wait 12    talk 200                  (handle 200)   employer  <- exactly T1
    3 answered wait 12.5  talk 60  hold 0  acw 30   (handle 90)    employer
    4 answered wait 30    talk 120                  (handle 120)   employer  <- exactly T2
    5 answered wait 45    talk 80  acw 10           (handle 90)    worker
    6 abandoned wait 5    <- exactly S: not short (short is wait < S)        worker
    7 abandoned wait 4.9  short                                              worker
    8 abandoned wait 30                                                      other
    9 abandoned wait 60                                                      other
   10 timeout   wait 120                                                     other

offered 10, answered 5, abandoned 4, timed_out 1, short_abandoned 1.
Answered within 12 s: calls 1, 2; within 30 s: 1-4. Abandoned within 12 s: 6, 7; within
30 s: 6, 7, 8. ASA = (0+12+12.5+30+45)/5 = 19.9; mean abandon wait = 99.9/4 = 24.975;
AHT = 630/5 = 126; p90 of answered waits [0, 12, 12.5, 30, 45] at rank 0.9·4 = 3.6:
30 + 0.6·15 = 39.
"""

import datetime as dt
import math
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.kpi import add_calls, add_staffing

from analytics.call_log import save_centre
from analytics.centres import Centre
from analytics.kpi import call_kpi_names, call_kpis, occupancy
from analytics.kpi.buckets import offset_changes
from analytics.periods import parse_period
from analytics.store import Store

TZ = "Asia/Riyadh"
CENTRE = Centre("saudi_mol", timezone=TZ)

TEN_CALLS = [
    dict(outcome="answered", wait_s=0, talk_s=100, hold_s=10, acw_s=20, category="employer"),
    dict(outcome="answered", wait_s=12, talk_s=200, category="employer"),
    dict(outcome="answered", wait_s=12.5, talk_s=60, hold_s=0, acw_s=30, category="employer"),
    dict(outcome="answered", wait_s=30, talk_s=120, category="employer"),
    dict(outcome="answered", wait_s=45, talk_s=80, acw_s=10, category="worker"),
    dict(outcome="abandoned", wait_s=5, category="worker"),
    dict(outcome="abandoned", wait_s=4.9, category="worker"),
    dict(outcome="abandoned", wait_s=30, category="other"),
    dict(outcome="abandoned", wait_s=60, category="other"),
    dict(outcome="timeout", wait_s=120, category="other"),
]


@pytest.fixture
def ten_calls(store):
    calls = [
        {**c, "arrived_at": f"2024-09-01 {8 + n // 3:02d}:{(n % 3) * 20:02d}"}
        for n, c in enumerate(TEN_CALLS)
    ]
    # One sms call in October: in September the sms category has no calls at all.
    calls.append(
        dict(arrived_at="2024-10-02 09:00", outcome="answered", wait_s=3, talk_s=50, category="sms")
    )
    add_calls(store, CENTRE, calls)
    return store


def kpis(store, **kwargs):
    with store.reader() as con:
        return call_kpis(con, CENTRE, **kwargs)


def test_every_call_kpi_of_the_ten_call_log(ten_calls):
    (row,) = kpis(ten_calls, period=parse_period("2024-09"))
    expected = {
        "offered": 10, "answered": 5, "abandoned": 4, "timed_out": 1, "short_abandoned": 1,
        "answer_rate": 0.5, "answer_rate_excl_short": 5 / 9, "abandon_rate": 0.4,
        "sl_answered_12": 0.4, "sl_answered_30": 0.8,
        "sl_offered_12": 0.2, "sl_offered_30": 0.4,
        "sl_excl_short_12": 2 / 9, "sl_excl_short_30": 4 / 9,
        "sl_with_abandons_12": 0.4, "sl_with_abandons_30": 0.7,
        "asa_s": 19.9, "avg_abandon_wait_s": 24.975, "aht_s": 126.0, "p90_wait_s": 39.0,
    }  # fmt: skip
    assert list(row) == call_kpi_names((12, 30)) == list(expected)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value), name


def test_abandons_exactly_at_s_are_not_short_and_s_can_be_overridden(ten_calls):
    (row,) = kpis(ten_calls, period=parse_period("2024-09"), short_abandon_s=30)
    # wait < 30: calls 6 (5 s) and 7 (4.9 s); call 8 at exactly 30 s is not short.
    assert row["short_abandoned"] == 2
    assert row["answer_rate_excl_short"] == pytest.approx(5 / 8)
    assert row["sl_excl_short_12"] == pytest.approx(2 / 8)


def test_thresholds_can_be_any_list_and_name_the_columns(ten_calls):
    (row,) = kpis(ten_calls, period=parse_period("2024-09"), thresholds_s=[20, 12.5])
    assert [k for k in row if k.startswith("sl_offered")] == ["sl_offered_20", "sl_offered_12.5"]
    assert row["sl_answered_12.5"] == pytest.approx(3 / 5)  # waits 0, 12, 12.5
    assert row["sl_with_abandons_20"] == pytest.approx((3 + 2) / 10)


def test_by_category_zero_denominators_are_null_and_a_category_without_calls(ten_calls):
    september = parse_period("2024-09")
    rows = {r["category"]: r for r in kpis(ten_calls, period=september, by=["category"])}
    # sms has calls only in October: in September it is a category with no calls, so
    # it gets a row of zero counts and null ratios, and the groups still add up.
    assert list(rows) == ["employer", "other", "sms", "worker"]
    assert sum(r["offered"] for r in rows.values()) == 10
    sms = rows["sms"]
    assert list(sms) == ["category", *call_kpi_names((12, 30))]
    for name, value in sms.items():
        if name == "category":
            continue
        if name in ("offered", "answered", "abandoned", "timed_out", "short_abandoned"):
            assert value == 0, name
        else:
            assert value is None, name
    other = rows["other"]  # no answered call: every per-answered ratio is null
    assert (other["offered"], other["answered"], other["answer_rate"]) == (3, 0, 0.0)
    for name in ("sl_answered_12", "asa_s", "aht_s", "p90_wait_s"):
        assert other[name] is None, name
    worker = rows["worker"]
    assert (worker["offered"], worker["short_abandoned"], worker["asa_s"]) == (3, 1, 45.0)
    assert worker["answer_rate_excl_short"] == pytest.approx(1 / 2)
    # An sms-only month: every sms ratio whose denominator is empty is null (the other
    # categories, active within the year, are rows of zeros).
    october = {
        r["category"]: r for r in kpis(ten_calls, period=parse_period("2024-10"), by=["category"])
    }
    assert [october[c]["offered"] for c in ("employer", "other", "worker")] == [0, 0, 0]
    sms = october["sms"]
    assert (sms["category"], sms["offered"], sms["answered"], sms["abandoned"]) == ("sms", 1, 1, 0)
    assert sms["avg_abandon_wait_s"] is None
    assert sms["answer_rate_excl_short"] == 1.0


def test_an_empty_period_gives_one_row_of_zeros_and_nulls(ten_calls):
    (row,) = kpis(ten_calls, period=parse_period("2024-08"))
    assert row["offered"] == row["answered"] == row["short_abandoned"] == 0
    assert row["answer_rate"] is None and row["sl_excl_short_12"] is None
    assert row["p90_wait_s"] is None


def test_period_edges_and_days_are_local_time(store):
    add_calls(
        store,
        CENTRE,
        [
            dict(arrived_at="2024-08-31 23:59:59", outcome="answered", wait_s=1),
            dict(arrived_at="2024-09-01 00:00:00", outcome="answered", wait_s=1),
            dict(arrived_at="2024-09-01 23:50:00", outcome="answered", wait_s=1),
            dict(arrived_at="2024-09-02 00:10:00", outcome="abandoned", wait_s=1),
            dict(arrived_at="2024-09-30 23:59:59", outcome="answered", wait_s=1),
            dict(arrived_at="2024-10-01 00:00:00", outcome="answered", wait_s=1),
        ],
    )
    assert kpis(store, period=parse_period("2024-09"))[0]["offered"] == 4
    days = kpis(store, period=parse_period("2024-09-01..2024-09-02"), interval="day")
    zone = zoneinfo.ZoneInfo(TZ)
    # 23:50 and 00:10 local are both on 1 September in UTC, but on two local days.
    assert [(r["interval_start"], r["offered"]) for r in days] == [
        (dt.datetime(2024, 9, 1, tzinfo=zone), 2),
        (dt.datetime(2024, 9, 2, tzinfo=zone), 1),
    ]
    assert days[0]["interval_start"].utcoffset() == dt.timedelta(hours=3)


def test_intervals_of_thirty_minutes_weeks_and_months(ten_calls):
    zone = zoneinfo.ZoneInfo(TZ)
    halves = kpis(ten_calls, period=parse_period("2024-09"), interval="30min")
    # calls at 08:00 08:20 08:40 | 09:00 09:20 09:40 | 10:00 10:20 10:40 | 11:00
    assert [(r["interval_start"].time(), r["offered"]) for r in halves] == [
        (dt.time(8, 0), 2), (dt.time(8, 30), 1), (dt.time(9, 0), 2), (dt.time(9, 30), 1),
        (dt.time(10, 0), 2), (dt.time(10, 30), 1), (dt.time(11, 0), 1),
    ]  # fmt: skip
    weeks = kpis(ten_calls, interval="week")
    assert [(r["interval_start"], r["offered"]) for r in weeks] == [
        (dt.datetime(2024, 9, 1, tzinfo=zone), 10),  # 1 Sep 2024 was a Sunday
        (dt.datetime(2024, 9, 29, tzinfo=zone), 1),
    ]
    months = kpis(ten_calls, interval="month", by=["category"])
    assert [(r["category"], r["interval_start"].month, r["offered"]) for r in months] == [
        ("employer", 9, 4), ("other", 9, 3), ("sms", 10, 1), ("worker", 9, 3),
    ]  # fmt: skip


def test_ramadan_1445_as_a_period_and_as_hijri_month_intervals(store):
    add_calls(
        store,
        CENTRE,
        [
            dict(arrived_at="2024-03-10 23:30", outcome="answered", wait_s=1),
            dict(arrived_at="2024-03-11 00:30", outcome="answered", wait_s=1),
            dict(arrived_at="2024-04-09 23:30", outcome="abandoned", wait_s=1),
            dict(arrived_at="2024-04-10 00:30", outcome="answered", wait_s=1),
        ],
    )
    (ramadan,) = kpis(store, period=parse_period("1445-09H"))
    assert (ramadan["offered"], ramadan["abandoned"]) == (2, 1)
    months = kpis(store, interval="hijri-month")
    zone = zoneinfo.ZoneInfo(TZ)
    assert [(r["interval_start"], r["offered"]) for r in months][1:] == [
        (dt.datetime(2024, 3, 11, tzinfo=zone), 2),
        (dt.datetime(2024, 4, 10, tzinfo=zone), 1),
    ]
    assert months[0]["interval_start"] < dt.datetime(2024, 3, 10, tzinfo=zone)


def test_the_seed_puzzle_909_and_989_from_the_same_september_log(store):
    """Bahrain, September: 11,000 offered, 10,000 answered, 889 abandons before 30 s."""
    centre = Centre("bahrain_lmra", timezone="Asia/Bahrain", short_abandon_s=30)
    with store.writer() as con:
        save_centre(con, centre)
        con.execute(
            """
            INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, talk_s)
            SELECT 'bahrain_lmra', 'c' || i,
                   TIMESTAMPTZ '2024-09-01 05:00:00+00' + to_minutes(i % 40000),
                   CASE WHEN i < 10000 THEN 'answered' ELSE 'abandoned' END,
                   CASE WHEN i < 10000 THEN 20 WHEN i < 10889 THEN 10 ELSE 45 END,
                   CASE WHEN i < 10000 THEN 180 END
            FROM range(11000) r(i)
            """
        )
    with store.reader() as con:
        (row,) = call_kpis(con, centre, period=parse_period("2024-09"))
        (five,) = call_kpis(con, centre, period=parse_period("2024-09"), short_abandon_s=5)
    assert (row["offered"], row["answered"], row["short_abandoned"]) == (11000, 10000, 889)
    assert round(row["answer_rate"], 3) == 0.909
    assert round(row["answer_rate_excl_short"], 3) == 0.989
    assert five["answer_rate_excl_short"] == row["answer_rate"]  # no abandon under 5 s


def test_simulated_calls_by_scenario_and_replication(store):
    with store.writer() as con:
        save_centre(con, CENTRE)
        con.execute(
            """
            CREATE TABLE sim_calls AS
            SELECT 'saudi_mol' AS centre_id, 'c' || i AS call_id,
                   TIMESTAMPTZ '2024-09-01 06:00:00+00' + to_seconds(i) AS arrived_at,
                   CASE WHEN i % 4 = 0 THEN 'abandoned' ELSE 'answered' END AS outcome,
                   CAST(i % 20 AS DOUBLE) AS wait_s, 100.0 AS talk_s,
                   CAST(NULL AS DOUBLE) AS hold_s, CAST(NULL AS DOUBLE) AS acw_s,
                   NULL AS category, NULL AS topic, NULL AS queue, NULL AS site,
                   NULL AS channel, NULL AS agent_id, 'base' AS scenario, i % 2 AS replication
            FROM range(8) r(i)
            """
        )
    with store.reader() as con:
        rows = call_kpis(con, CENTRE, source="sim_calls", by=("scenario", "replication"))
        with pytest.raises(ValueError, match="cannot break calls down by 'caller_hash'"):
            call_kpis(con, CENTRE, by=("caller_hash",))
        with pytest.raises(ValueError, match="call source 'calls' cannot give"):
            call_kpis(con, CENTRE, by=("replication",))  # real calls have no replications
        with pytest.raises(ValueError, match="not a plain table"):
            call_kpis(con, CENTRE, source="calls; DROP TABLE calls")
    # replication 0: i = 0 (abandoned), 2, 4 (abandoned), 6 -> 2 answered of 4
    assert [(r["scenario"], r["replication"], r["offered"], r["answered"]) for r in rows] == [
        ("base", 0, 4, 2),
        ("base", 1, 4, 4),
    ]


def test_occupancy_is_handling_time_over_staffed_time(store):
    centre = CENTRE
    add_calls(
        store,
        centre,
        [
            dict(
                arrived_at="2024-09-01 08:05", outcome="answered", wait_s=10, talk_s=1500, acw_s=300
            ),
            dict(arrived_at="2024-09-01 08:20", outcome="answered", wait_s=5, talk_s=900),
            # answered at 08:30:20 local: lands in the second half hour
            dict(
                arrived_at="2024-09-01 08:29:50",
                outcome="answered",
                wait_s=30,
                talk_s=600,
                hold_s=300,
            ),
            dict(arrived_at="2024-09-01 08:40", outcome="abandoned", wait_s=60),
        ],
    )
    add_staffing(store, centre, [("2024-09-01 08:00", 1800, 2), ("2024-09-01 08:30", 1800, 1.5)])
    with store.reader() as con:
        halves = occupancy(con, centre, period=parse_period("2024-09"), interval="30min")
        (whole,) = occupancy(con, centre, period=parse_period("2024-09"))
        (empty,) = occupancy(con, centre, period=parse_period("2024-08"))
    # 08:00: (1800 + 900) / (2 x 1800) = 0.75; 08:30: 900 / (1.5 x 1800) = 1/3
    assert [(r["interval_start"].time(), r["handled_s"], r["staffed_s"]) for r in halves] == [
        (dt.time(8, 0), 2700, 3600),
        (dt.time(8, 30), 900, 2700),
    ]
    assert [r["occupancy"] for r in halves] == pytest.approx([0.75, 1 / 3])
    assert whole["occupancy"] == pytest.approx(3600 / 6300)
    assert empty == {"handled_s": 0.0, "staffed_s": 0.0, "occupancy": None}


def test_occupancy_by_queue_matches_calls_and_staffing_of_each_queue(store):
    """Riyadh, 1 Sep 2024. Handled seconds of answered calls per queue and half hour,
    over agents_available x 1800 s of the staffing rows of that queue:

        visa    08:00 1500+300 = 1800 / (2 x 1800) = 0.5   08:30 600 / 1800 = 1/3
        labour  08:00 900 / 1800 = 0.5
        (none)  08:00 300 / 1800 (staffing kept for the whole centre, queue '') = 1/6
        sms     09:00 100 / no staffing = null
    """
    add_calls(
        store,
        CENTRE,
        [
            dict(arrived_at="2024-09-01 08:05", outcome="answered", wait_s=5, talk_s=1500,
                 acw_s=300, queue="visa"),
            dict(arrived_at="2024-09-01 08:40", outcome="answered", wait_s=5, talk_s=600,
                 queue="visa"),
            dict(arrived_at="2024-09-01 08:41", outcome="abandoned", wait_s=50, queue="visa"),
            dict(arrived_at="2024-09-01 08:10", outcome="answered", wait_s=5, talk_s=900,
                 queue="labour"),
            dict(arrived_at="2024-09-01 08:20", outcome="answered", wait_s=5, talk_s=300),
            dict(arrived_at="2024-09-01 09:00", outcome="answered", wait_s=5, talk_s=100,
                 queue="sms"),
        ],
    )  # fmt: skip
    add_staffing(
        store,
        CENTRE,
        [
            ("2024-09-01 08:00", 1800, 2, "visa"),
            ("2024-09-01 08:30", 1800, 1, "visa"),
            ("2024-09-01 08:00", 1800, 1, "labour"),
            ("2024-09-01 08:00", 1800, 1),
        ],
    )
    september = parse_period("2024-09")
    with store.reader() as con:
        queues = occupancy(con, CENTRE, period=september, by=("queue",))
        halves = occupancy(con, CENTRE, period=september, by=["queue"], interval="30min")
        (whole,) = occupancy(con, CENTRE, period=september)
        with pytest.raises(ValueError, match="cannot break occupancy down by 'category'"):
            occupancy(con, CENTRE, by=("category",))
    assert [(r["queue"], r["handled_s"], r["staffed_s"]) for r in queues] == [
        ("labour", 900, 1800), ("sms", 100, 0), ("visa", 2400, 5400), (None, 300, 1800),
    ]  # fmt: skip
    assert [r["occupancy"] for r in queues] == pytest.approx([0.5, None, 4 / 9, 1 / 6])
    assert [(r["queue"], r["interval_start"].time(), r["occupancy"]) for r in halves] == [
        ("labour", dt.time(8, 0), 0.5), ("sms", dt.time(9, 0), None),
        ("visa", dt.time(8, 0), 0.5), ("visa", dt.time(8, 30), pytest.approx(1 / 3)),
        (None, dt.time(8, 0), pytest.approx(1 / 6)),
    ]  # fmt: skip
    assert sum(r["handled_s"] for r in queues) == whole["handled_s"] == 3700
    assert sum(r["staffed_s"] for r in queues) == whole["staffed_s"] == 9000


# ---- invariants over random logs (Hypothesis), on one real DuckDB file -------------

call_strategy = st.fixed_dictionaries(
    {
        "minute": st.integers(0, 3 * 24 * 60 - 1),
        "outcome": st.sampled_from(["answered", "abandoned", "timeout"]),
        "wait_s": st.one_of(st.sampled_from([0.0, 4.9, 5.0, 12.0, 30.0]), st.floats(0, 300)),
        "talk_s": st.one_of(st.none(), st.floats(0, 900)),
        "category": st.sampled_from(["employer", "worker", "other", None]),
    }
)


@pytest.fixture(scope="module")
def scratch_db(tmp_path_factory):
    """A real store's write transaction, held for the module: each example rewrites its
    calls inside it and reads them back through the KPI layer."""
    store = Store(tmp_path_factory.mktemp("kpi") / "hypothesis.duckdb")
    with store.writer() as con:
        yield con


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calls=st.lists(call_strategy, max_size=60), short_s=st.sampled_from([5.0, 30.0]))
def test_invariants_of_any_call_log(scratch_db, calls, short_s):
    con = scratch_db
    centre = Centre("prop", timezone="Asia/Bahrain")
    con.execute("DELETE FROM calls")
    save_centre(con, centre)
    start = dt.datetime(2024, 9, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Bahrain"))
    if calls:
        con.executemany(
        "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s, talk_s, category) "
        "VALUES ('prop', ?, ?, ?, ?, ?, ?)",
        [
            [str(n), start + dt.timedelta(minutes=c["minute"]), c["outcome"], c["wait_s"],
             c["talk_s"], c["category"]]
            for n, c in enumerate(calls)
        ],
    )  # fmt: skip
    (total,) = call_kpis(con, centre, short_abandon_s=short_s)
    # independent recount in Python
    assert total["offered"] == len(calls)
    assert total["short_abandoned"] == sum(
        c["outcome"] == "abandoned" and c["wait_s"] < short_s for c in calls
    )
    assert total["answered"] + total["abandoned"] + total["timed_out"] == total["offered"]
    for name, value in total.items():
        if name.endswith("_rate") or name.startswith("sl_"):
            assert value is None or 0.0 <= value <= 1.0, name
    for variant in ("sl_answered", "sl_offered", "sl_excl_short", "sl_with_abandons"):
        a, b = total[f"{variant}_12"], total[f"{variant}_30"]
        assert (a is None) == (b is None) and (a is None or a <= b)
    if total["answered"]:
        assert total["sl_answered_12"] >= total["sl_offered_12"]
    else:
        assert total["sl_answered_12"] is None and total["asa_s"] is None
    for dims, interval in ((("category",), None), ((), "60min"), (("category",), "day")):
        groups = call_kpis(con, centre, by=dims, interval=interval, short_abandon_s=short_s)
        for count in ("offered", "answered", "abandoned", "timed_out", "short_abandoned"):
            assert sum(g[count] for g in groups) == total[count]
        answered_within = sum((g["sl_answered_12"] or 0) * g["answered"] for g in groups)
        assert math.isclose(
            answered_within, (total["sl_answered_12"] or 0) * total["answered"], abs_tol=1e-6
        )


def test_days_across_a_daylight_saving_change_are_local_days(store):
    """London moved from GMT to BST at 01:00 GMT on 31 March 2024: a month with two
    offsets, which must still be cut at local midnights."""
    london = Centre("london", timezone="Europe/London")
    add_calls(
        store,
        london,
        [
            dict(arrived_at="2024-03-30 23:30", outcome="answered", wait_s=1),  # GMT
            dict(arrived_at="2024-03-31 00:30", outcome="answered", wait_s=1),  # GMT
            dict(arrived_at="2024-03-31 23:30", outcome="answered", wait_s=1),  # BST
            dict(arrived_at="2024-04-01 00:30", outcome="answered", wait_s=1),  # BST
        ],
    )
    zone = zoneinfo.ZoneInfo("Europe/London")
    with store.reader() as con:
        march = call_kpis(con, london, period=parse_period("2024-03"), interval="day")
        hours = call_kpis(con, london, interval="60min")
    assert [(r["interval_start"], r["offered"]) for r in march] == [
        (dt.datetime(2024, 3, 30, tzinfo=zone), 1),
        (dt.datetime(2024, 3, 31, tzinfo=zone), 2),
    ]
    assert [r["interval_start"].hour for r in hours] == [23, 0, 23, 0]
    assert hours[2]["interval_start"].utcoffset() == dt.timedelta(hours=1)


def test_offset_changes_are_the_published_uk_clock_changes_of_2024():
    """UK summer time 2024 began at 01:00 GMT on 31 March and ended at 01:00 GMT on
    27 October: the local-time SQL adds 0 h before, 1 h between and 0 h after."""
    changes = offset_changes(zoneinfo.ZoneInfo("Europe/London"), dt.date(2024, 3, 1),
                             dt.date(2024, 11, 30))  # fmt: skip
    hour_us = 3_600_000_000
    spring = int(dt.datetime(2024, 3, 31, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000
    autumn = int(dt.datetime(2024, 10, 27, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000
    assert changes == [(None, 0), (spring, hour_us), (autumn, 0)]
    riyadh = offset_changes(zoneinfo.ZoneInfo(TZ), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert riyadh == [(None, 3 * hour_us)]  # Saudi Arabia keeps UTC+3 all year


def test_half_hours_across_the_autumn_change_use_the_offset_of_each_instant(store):
    """On 27 October 2024 London's 01:00-02:00 happened twice (BST, then GMT); the
    instants 00:40 UTC (01:40 BST) and 01:40 UTC (01:40 GMT) share a local half hour,
    and 02:10 UTC is 02:10 GMT."""
    london = Centre("london", timezone="Europe/London")
    with store.writer() as con:
        save_centre(con, london)
        con.executemany(
            "INSERT INTO calls (centre_id, call_id, arrived_at, outcome, wait_s) "
            "VALUES ('london', ?, ?, 'answered', 1)",
            [[str(n), dt.datetime(2024, 10, 27, h, m, tzinfo=dt.UTC)]
             for n, (h, m) in enumerate([(0, 40), (1, 40), (2, 10)])],
        )  # fmt: skip
    with store.reader() as con:
        rows = call_kpis(con, london, period=parse_period("2024-10"), interval="30min")
    assert [(r["interval_start"].replace(tzinfo=None), r["offered"]) for r in rows] == [
        (dt.datetime(2024, 10, 27, 1, 30), 2),
        (dt.datetime(2024, 10, 27, 2, 0), 1),
    ]
