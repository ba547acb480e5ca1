"""`cca kpi` end to end: the real command in a subprocess on a real store file."""

import json

import pytest
from support.cli import run_cca, run_cca_json
from support.kpi import add_calls, add_tickets

from analytics.centres import Centre

CENTRE = Centre("bahrain_lmra", timezone="Asia/Bahrain", short_abandon_s=30)


@pytest.fixture
def september(store):
    # 4 answered (waits 10, 12, 25, 40), 2 abandoned (wait 8: short at S = 30; wait 50)
    calls = [
        dict(arrived_at="2024-09-01 08:00", outcome="answered", wait_s=10, category="employer"),
        dict(arrived_at="2024-09-01 08:10", outcome="answered", wait_s=12, category="employer"),
        dict(arrived_at="2024-09-01 08:40", outcome="answered", wait_s=25, category="worker"),
        dict(arrived_at="2024-09-02 09:00", outcome="answered", wait_s=40, category="worker"),
        dict(arrived_at="2024-09-02 09:05", outcome="abandoned", wait_s=8, category="employer"),
        dict(arrived_at="2024-09-02 09:10", outcome="abandoned", wait_s=50, category="other"),
    ]
    add_calls(store, CENTRE, calls)
    add_tickets(
        store,
        CENTRE,
        [dict(created_at="2024-09-01 09:00", resolved_at="2024-09-01 11:00", category="worker")],
    )
    return store.path


def test_calls_json_is_one_object_with_the_kpi_names(september):
    (row,) = run_cca_json("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09",
                          db=september)  # fmt: skip
    assert (row["offered"], row["answered"], row["short_abandoned"]) == (6, 4, 1)
    assert row["answer_rate"] == pytest.approx(4 / 6)
    assert row["answer_rate_excl_short"] == pytest.approx(4 / 5)
    assert row["sl_offered_12"] == pytest.approx(2 / 6)
    assert row["sl_answered_30"] == pytest.approx(3 / 4)


def test_calls_by_category_with_thresholds_and_short_abandon_override(september):
    rows = run_cca_json(
        "kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09-01..2024-09-30",
        "--by", "category", "--thresholds", "10,20", "--short-abandon-s", "5", db=september,
    )  # fmt: skip
    by = {r["category"]: r for r in rows}
    assert set(by) == {"employer", "worker", "other"}
    assert by["employer"]["sl_offered_10"] == pytest.approx(1 / 3)
    assert by["employer"]["short_abandoned"] == 0  # 8 s is not under 5 s
    assert "sl_offered_12" not in by["employer"] and "sl_with_abandons_20" in by["employer"]
    assert by["other"]["answer_rate"] == 0.0 and by["other"]["asa_s"] is None


def test_calls_by_interval_carry_local_interval_start(september):
    rows = run_cca_json("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09",
                        "--interval", "30min", db=september)  # fmt: skip
    assert [(r["interval_start"], r["offered"]) for r in rows] == [
        ("2024-09-01T08:00:00+03:00", 2),
        ("2024-09-01T08:30:00+03:00", 1),
        ("2024-09-02T09:00:00+03:00", 3),
    ]


def test_tickets_json(september):
    (row,) = run_cca_json("kpi", "tickets", "--centre", "bahrain_lmra", "--period", "2024-09",
                          db=september)  # fmt: skip
    # Sunday 09:00 -> 11:00 at the default 08:00-17:00 Mon-Fri calendar: Sunday is
    # weekend (Sat-Sun default), so no working time passes.
    assert (row["created"], row["resolved"], row["backlog"]) == (1, 1, 0)
    assert row["resolution_wd_p50"] == 0.0


def test_table_and_csv_formats(september):
    table = run_cca("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09",
                    db=september).stdout  # fmt: skip
    assert "answer_rate_excl_short" in table and "0.8000" in table
    csv_text = run_cca("kpi", "calls", "--centre", "bahrain_lmra", "--period", "all",
                       "--by", "category", "--format", "csv", db=september).stdout  # fmt: skip
    header, *lines = csv_text.strip().splitlines()
    assert header.startswith("category,offered,answered")
    assert len(lines) == 3
    with pytest.raises(json.JSONDecodeError):
        json.loads(table)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--centre", "nowhere", "--period", "all"), "unknown centre 'nowhere'"),
        (("--centre", "bahrain_lmra", "--period", "2024-13"), "month 13"),
        (
            ("--centre", "bahrain_lmra", "--period", "all", "--by", "weather"),
            "cannot break calls down by 'weather'",
        ),
        (
            ("--centre", "bahrain_lmra", "--period", "all", "--thresholds", "12,soon"),
            "'soon' is not a number",
        ),
    ],
)
def test_user_errors_exit_2_with_a_clear_message(september, args, message):
    proc = run_cca("kpi", "calls", *args, db=september, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert proc.stdout == ""


def test_period_all_is_explicit_and_omitting_the_period_is_an_error(september):
    (everything,) = run_cca_json("kpi", "calls", "--centre", "bahrain_lmra", "--period", "all",
                                 db=september)  # fmt: skip
    assert everything["offered"] == 6
    proc = run_cca("kpi", "calls", "--centre", "bahrain_lmra", "--format", "json", db=september,
                   check=False)  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--period" in proc.stderr and "required" in proc.stderr
    proc = run_cca("kpi", "calls", "--centre", "bahrain_lmra", "--period", "sometime",
                   db=september, check=False)  # fmt: skip
    assert proc.returncode == 2 and "'all' for all data" in proc.stderr


def test_tickets_as_of_fixes_when_open_tickets_are_judged(september):
    """The one ticket was created 1 Sep 09:00 and resolved 11:00 (Bahrain, +03:00): a
    report made at 10:00 that day still sees it open."""
    args = ("kpi", "tickets", "--centre", "bahrain_lmra", "--period", "2024-09")
    (early,) = run_cca_json(*args, "--as-of", "2024-09-01T10:00+03:00", db=september)
    (later,) = run_cca_json(*args, "--as-of", "2024-10-01T00:00:00+00:00", db=september)
    assert (early["backlog"], later["backlog"]) == (1, 0)
    naive = run_cca(*args, "--as-of", "2024-09-01T10:00", db=september, check=False)
    assert naive.returncode == 2 and "needs a UTC offset" in naive.stderr
    calls = run_cca("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09",
                    "--as-of", "2024-09-01T10:00+03:00", db=september, check=False)  # fmt: skip
    assert calls.returncode == 2 and "--as-of applies to tickets" in calls.stderr


def test_hijri_month_intervals_through_the_command(september):
    # 1 and 2 September 2024 fall in Safar 1446, whose first day is before them
    (month,) = run_cca_json("kpi", "calls", "--centre", "bahrain_lmra", "--period", "2024-09-01"
                            "..2024-09-02", "--interval", "hijri-month", db=september)  # fmt: skip
    assert month["offered"] == 6 and month["interval_start"] < "2024-09-01"
