"""Ingest: a nightly load that never loses, doubles or half-writes a call.

Each test writes a small file by hand, loads it into a real DuckDB file and checks
the store against values worked out by hand (instants in UTC, counts, lines).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support.cli import ROOT, run_cca
from support.kpi import stored_calls, write_many_calls

from analytics import ingest as ingest_module
from analytics.ingest import IngestError, ingest_file
from analytics.mapping import ColumnMapping, MappingError, load_mapping

UTC = dt.UTC
HEADER = "call_id,arrived_at,outcome,wait_s,talk_s,category,caller_id"


# Tests run once, by the size rule: the commands run in their own processes, and the
# two slowest, whose large files are read before their write.
BY_SIZE = {
    "test_every_row_rejected_exits_1_and_names_the_first_lines",
    "test_json_output_is_only_json_with_the_counts",
    "test_format_names_the_input_and_the_output_and_may_be_given_twice",
    "test_a_wide_file_of_a_million_calls_loads_and_names_its_one_bad_line",
    "test_a_mapping_with_a_long_in_list_still_names_the_right_line",
    "test_a_small_file_is_loaded_on_one_thread_a_large_one_on_all",
}


def pytest_generate_tests(metafunc):
    if "when_read" in metafunc.fixturenames and metafunc.function.__name__ not in BY_SIZE:
        metafunc.parametrize(
            "when_read", ["read inside the write", "read before the write"], indirect=True
        )


@pytest.fixture(autouse=True)
def when_read(request, monkeypatch):
    """The other tests twice: each file read inside its write's transaction (as small
    files are) and before that begins (as large ones are, ``EARLY_READ_BYTES``)."""
    when = getattr(request, "param", "by size")
    if when != "by size":
        before = when == "read before the write"
        monkeypatch.setattr(ingest_module, "EARLY_READ_BYTES", 0 if before else 10**15)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def calls(store, centre="riyadh"):
    return stored_calls(store, centre, "arrived_at, outcome, wait_s, talk_s, category, batch_id")


def quarantine(store, batch_id):
    with store.reader() as con:
        return con.execute(
            "SELECT line, column_name, value, reason FROM quarantine WHERE batch_id = ? "
            "ORDER BY line",
            [batch_id],
        ).fetchall()


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


# ----------------------------------------------------------------- loading and time zones


def test_naive_timestamps_are_read_in_the_centres_time_zone(store, tmp_path):
    f = write(
        tmp_path,
        "day.csv",
        f"{HEADER}\n"
        "c1,2024-09-01 08:00:00,answered,3,120,employer,\n"
        "c2,2024-09-01 08:00:10,abandoned,40,,worker,\n",
    )
    r = ingest_file(store, "calls", f, "riyadh", timezone="Asia/Riyadh")
    assert (r.read, r.loaded, r.updated, r.duplicate, r.rejected) == (2, 2, 0, 0, 0)
    assert r.centre_created
    got = calls(store)
    # Riyadh is UTC+3 all year.
    assert got["c1"][:5] == (at(2024, 9, 1, 5, 0, 0), "answered", 3.0, 120.0, "employer")
    assert got["c2"][:5] == (at(2024, 9, 1, 5, 0, 10), "abandoned", 40.0, None, "worker")


def test_timestamps_in_three_formats_and_with_offsets_are_the_same_instant(store, tmp_path):
    f = write(
        tmp_path,
        "formats.csv",
        "call_id,arrived_at,outcome,wait_s\n"
        "space,2024-09-01 08:00:00,answered,1\n"
        "iso_t,2024-09-01T08:00:00,answered,1\n"
        "day_first,01/09/2024 08:00,answered,1\n"
        "zulu,2024-09-01T05:00:00Z,answered,1\n"
        "plus3,2024-09-01T08:00:00+03:00,answered,1\n"
        "plus2,2024-09-01 07:00:00+0200,answered,1\n",
    )
    ingest_file(store, "calls", f, "riyadh", timezone="Asia/Riyadh")
    instants = {v[0] for v in calls(store).values()}
    assert instants == {at(2024, 9, 1, 5, 0, 0)}


def test_a_time_zone_with_daylight_saving_uses_the_offset_of_the_day(store, tmp_path):
    f = write(
        tmp_path,
        "dst.csv",
        "call_id,arrived_at,outcome,wait_s\n"
        "winter,1999-02-01 09:00:00,answered,0\n"
        "summer,1999-07-01 09:00:00,answered,0\n",
    )
    ingest_file(store, "calls", f, "bank", timezone="Asia/Jerusalem")
    got = calls(store, "bank")
    assert got["winter"][0] == at(1999, 2, 1, 7, 0)  # IST, UTC+2
    assert got["summer"][0] == at(1999, 7, 1, 6, 0)  # IDT, UTC+3


def test_wait_is_derived_from_answered_at_or_ended_at_when_absent(store, tmp_path):
    f = write(
        tmp_path,
        "derived.csv",
        "call_id,arrived_at,outcome,answered_at,ended_at\n"
        "a,2024-09-01 08:00:00,answered,2024-09-01 08:00:12.5,2024-09-01 08:03:00\n"
        "b,2024-09-01 08:00:00,abandoned,,2024-09-01 08:00:31\n"
        "c,2024-09-01 08:00:00,timeout,,\n",
    )
    r = ingest_file(store, "calls", f, "riyadh")
    got = calls(store)
    assert got["a"][2] == 12.5 and got["b"][2] == 31.0
    assert (r.loaded, r.rejected) == (2, 1)
    assert quarantine(store, r.batch_id)[0][:2] == (4, "wait_s")


# ----------------------------------------------------------------- validation at the door


def test_bad_rows_go_to_quarantine_with_line_column_value_and_reason(store, tmp_path):
    f = write(
        tmp_path,
        "bad.csv",
        "call_id,arrived_at,outcome,wait_s,answered_at,talk_s\n"
        "ok1,2024-09-01 08:00:00,answered,3,2024-09-01 08:00:03,60\n"  # line 2
        "neg,2024-09-01 08:00:00,abandoned,-4,,\n"  # 3
        "nan,2024-09-01 08:00:00,abandoned,NaN,,\n"  # 4
        "word,2024-09-01 08:00:00,abandoned,soon,,\n"  # 5
        "vocab,2024-09-01 08:00:00,hung up,3,,\n"  # 6
        "when,2024-13-45 08:00:00,answered,3,,\n"  # 7
        ",2024-09-01 08:00:00,answered,3,,\n"  # 8
        "early,2024-09-01 08:00:00,answered,3,2024-09-01 07:59:00,\n"  # 9
        "talk,2024-09-01 08:00:00,answered,3,,-1\n"  # 10
        "ok2,2024-09-01 08:01:00, Abandoned ,7,,\n",  # 11: outcome case and spaces forgiven
    )
    r = ingest_file(store, "calls", f, "riyadh")
    assert (r.read, r.loaded, r.rejected) == (10, 2, 8)
    assert set(calls(store)) == {"ok1", "ok2"}
    assert [row[1] for row in calls(store).values()] == ["answered", "abandoned"]
    q = quarantine(store, r.batch_id)
    assert [(line, column, value) for line, column, value, _ in q] == [
        (3, "wait_s", "-4"),
        (4, "wait_s", "NaN"),
        (5, "wait_s", "soon"),
        (6, "outcome", "hung up"),
        (7, "arrived_at", "2024-13-45 08:00:00"),
        (8, "call_id", None),
        (9, "answered_at", "2024-09-01 07:59:00"),
        (10, "talk_s", "-1"),
    ]
    reasons = [reason for *_, reason in q]
    assert "negative" in reasons[0] and "NaN" in reasons[1] and "not a number" in reasons[2]
    assert "answered, abandoned, timeout" in reasons[3] and "before arrived_at" in reasons[6]
    assert r.first_rejects[0].line == 3


def test_a_small_file_is_loaded_on_one_thread_a_large_one_on_all(tmp_path):
    small = write(tmp_path, "small.csv", b"x" * ingest_module.SMALL_FILE_BYTES)
    large = write(tmp_path, "large.csv", b"x" * (ingest_module.SMALL_FILE_BYTES + 1))
    assert ingest_module.threads_for(small) == 1
    assert ingest_module.threads_for(large) is None  # DuckDB's default: one per core
    assert ingest_module.threads_for(tmp_path / "missing.csv") is None


def test_every_row_rejected_exits_1_and_names_the_first_lines(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = write(
        tmp_path, "all_bad.csv", "call_id,arrived_at,outcome,wait_s\nx,yesterday,answered,1\n"
    )
    proc = run_cca("ingest", "calls", str(f), "--centre", "c", db=db, check=False)
    assert proc.returncode == 1
    assert "line 2" in proc.stdout and "arrived_at" in proc.stdout and "'yesterday'" in proc.stdout


def test_json_output_is_only_json_with_the_counts(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = write(
        tmp_path, "one.csv", "call_id,arrived_at,outcome,wait_s\nx,2024-09-01 08:00,answered,1\n"
    )
    proc = run_cca("ingest", "calls", str(f), "--centre", "c", "--format", "json", db=db)
    [record] = json.loads(proc.stdout)
    assert {k: record[k] for k in ("read", "loaded", "updated", "duplicate", "rejected")} == {
        "read": 1,
        "loaded": 1,
        "updated": 0,
        "duplicate": 0,
        "rejected": 0,
    }


def test_an_empty_file_is_refused_and_a_header_only_file_loads_nothing(store, tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(IngestError, match="empty"):
        ingest_file(store, "calls", empty, "riyadh")
    proc = run_cca("ingest", "calls", str(empty), "--centre", "r", db=store.path, check=False)
    assert proc.returncode == 2 and "empty.csv" in proc.stderr
    header_only = write(tmp_path, "header.csv", "call_id,arrived_at,outcome,wait_s\n")
    r = ingest_file(store, "calls", header_only, "riyadh")
    assert (r.read, r.loaded, r.rejected, r.nothing_loadable) == (0, 0, 0, False)


def test_a_missing_required_column_names_the_column_and_line_1(store, tmp_path):
    f = write(tmp_path, "no_outcome.csv", "call_id,arrived_at,wait_s\nx,2024-09-01 08:00,1\n")
    with pytest.raises(IngestError, match=r"line 1: missing required column\(s\) outcome"):
        ingest_file(store, "calls", f, "riyadh")
    with store.reader() as con:  # nothing half-written, not even the centre
        assert con.execute("SELECT count(*) FROM centres").fetchall()[0][0] == 0


def test_an_unknown_extra_column_is_ignored_and_reported(store, tmp_path):
    f = write(
        tmp_path,
        "extra.csv",
        "call_id,arrived_at,outcome,wait_s,mood\nx,2024-09-01 08:00,answered,1,happy\n",
    )
    r = ingest_file(store, "calls", f, "riyadh")
    assert r.loaded == 1 and r.ignored_columns == ("mood",)


def test_a_semicolon_file_is_sniffed_and_a_wrong_declared_delimiter_is_named(store, tmp_path):
    text = "call_id;arrived_at;outcome;wait_s\nx;2024-09-01 08:00;answered;1\n"
    f = write(tmp_path, "semi.csv", text)
    assert ingest_file(store, "calls", f, "riyadh").loaded == 1
    comma = ColumnMapping(
        kind="calls",
        delimiter=",",
        columns={"call_id": "call_id", "arrived_at": "arrived_at", "outcome": "outcome"},
    )
    with pytest.raises(IngestError, match=r"call_id.*is the file ';'-separated\?"):
        ingest_file(store, "calls", f, "riyadh", mapping=comma)
    wrong = write(tmp_path, "wrong.csv", text.replace(";", "|").replace("call_id|", "callid|"))
    with pytest.raises(IngestError, match=r"missing required column\(s\) call_id \(found: callid"):
        ingest_file(store, "calls", wrong, "riyadh")


def test_non_utf8_bytes_quarantine_their_row_unless_the_mapping_names_the_encoding(store, tmp_path):
    raw = (
        b"call_id,arrived_at,outcome,wait_s,category\n"
        b"a,2024-09-01 08:00,answered,1,employer\n"
        b"b,2024-09-01 08:01,answered,1,caf\xe9\n"
        b"c,2024-09-01 08:02,answered,1,worker\n"
    )
    f = write(tmp_path, "latin.csv", raw)
    r = ingest_file(store, "calls", f, "riyadh")
    assert (r.loaded, r.rejected) == (2, 1)
    [(line, _column, _value, reason)] = quarantine(store, r.batch_id)
    assert line == 3 and "utf-8" in reason
    latin = ColumnMapping(
        kind="calls",
        encoding="latin-1",
        columns={c: c for c in ("call_id", "arrived_at", "outcome", "wait_s", "category")},
    )
    r = ingest_file(store, "calls", f, "riyadh", mapping=latin)
    assert r.loaded == 1 and calls(store)["b"][4] == "café"


def test_a_byte_order_mark_does_not_hide_the_first_column(store, tmp_path):
    f = write(
        tmp_path,
        "bom.csv",
        "\ufeffcall_id,arrived_at,outcome,wait_s\nx,2024-09-01 08:00,answered,1\n",
    )
    assert ingest_file(store, "calls", f, "riyadh").loaded == 1


def test_quoted_newlines_load_and_later_rejects_name_their_physical_line(store, tmp_path):
    f = write(
        tmp_path,
        "quoted.csv",
        "call_id,arrived_at,outcome,wait_s,topic\n"
        'a,2024-09-01 08:00,answered,1,"permit\nrenewal"\n'  # lines 2-3
        "\n"  # line 4, blank
        "b,2024-09-01 08:00,answered,-1,fees\n"  # line 5
        "c,2024-09-01 08:00,answered,1,fees,extra\n"  # line 6, one field too many
        "d,2024-09-01 08:00,answered,x,fees\n",  # line 7
    )
    r = ingest_file(store, "calls", f, "riyadh")
    assert (r.read, r.loaded, r.rejected) == (4, 1, 3)
    with store.reader() as con:
        assert con.execute("SELECT topic FROM calls").fetchall() == [("permit\nrenewal",)]
    assert [(line, column) for line, column, *_ in quarantine(store, r.batch_id)] == [
        (5, "wait_s"),
        (6, None),
        (7, "wait_s"),
    ]


# ----------------------------------------------------------------- idempotence and merging


def test_the_same_file_twice_adds_nothing(store, tmp_path):
    f = write(
        tmp_path,
        "day.csv",
        f"{HEADER}\nc1,2024-09-01 08:00,answered,3,120,employer,966500000001\n"
        "c2,2024-09-01 08:01,abandoned,9,,worker,\n",
    )
    first = ingest_file(store, "calls", f, "riyadh")
    before = calls(store)
    again = ingest_file(store, "calls", f, "riyadh")
    assert (again.read, again.loaded, again.updated, again.duplicate) == (2, 0, 0, 2)
    assert calls(store) == before and first.batch_id != again.batch_id


def test_overlapping_files_union_and_a_corrected_row_replaces_the_old(store, tmp_path):
    monday = write(
        tmp_path,
        "mon.csv",
        "call_id,arrived_at,outcome,wait_s\nc1,2024-09-01 08:00,answered,3\n"
        "c2,2024-09-01 09:00,abandoned,20\n",
    )
    tuesday = write(
        tmp_path,
        "tue.csv",
        "call_id,arrived_at,outcome,wait_s\nc2,2024-09-01 09:00,answered,20\n"  # corrected
        "c1,2024-09-01 08:00,answered,3\n"  # same again
        "c3,2024-09-02 08:00,timeout,60\n",  # new
    )
    ingest_file(store, "calls", monday, "riyadh")
    r = ingest_file(store, "calls", tuesday, "riyadh")
    assert (r.loaded, r.updated, r.duplicate) == (1, 1, 1)
    got = calls(store)
    assert sorted(got) == ["c1", "c2", "c3"]
    assert got["c2"][1] == "answered" and got["c2"][5] == r.batch_id
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM calls").fetchall()[0][0] == 3


def test_a_file_without_a_column_the_stored_calls_have_corrects_them_to_empty(store, tmp_path):
    """Stored rows are matched on the columns the file gives plus "every other column is
    empty": a narrow export of calls first loaded from a wide one replaces them."""
    wide = write(
        tmp_path,
        "wide.csv",
        "call_id,arrived_at,outcome,wait_s,topic,caller_id\n"
        "c1,2024-09-01 08:00,answered,3,fees,966500000001\n"  # topic and caller: both go
        "c2,2024-09-01 09:00,abandoned,20,,\n"  # nothing but the narrow columns
        "c3,2024-09-01 10:00,answered,5,,966500000003\n",  # only the caller goes
    )
    narrow = write(
        tmp_path,
        "narrow.csv",
        "call_id,arrived_at,outcome,wait_s\nc1,2024-09-01 08:00,answered,3\n"
        "c2,2024-09-01 09:00,abandoned,20\nc3,2024-09-01 10:00,answered,5\n",
    )
    ingest_file(store, "calls", wide, "riyadh")
    r = ingest_file(store, "calls", narrow, "riyadh")
    assert (r.loaded, r.updated, r.duplicate) == (0, 2, 1)
    with store.reader() as con:
        assert con.execute(
            "SELECT call_id, topic, caller_hash FROM calls ORDER BY call_id"
        ).fetchall() == [("c1", None, None), ("c2", None, None), ("c3", None, None)]
    again = ingest_file(store, "calls", narrow, "riyadh")
    assert (again.loaded, again.updated, again.duplicate) == (0, 0, 3)
    back = ingest_file(store, "calls", wide, "riyadh")
    assert (back.loaded, back.updated, back.duplicate) == (0, 2, 1)


def test_ids_are_per_centre(store, tmp_path):
    f = write(
        tmp_path, "c.csv", "call_id,arrived_at,outcome,wait_s\nc1,2024-09-01 08:00,answered,3\n"
    )
    ingest_file(store, "calls", f, "riyadh")
    assert ingest_file(store, "calls", f, "manama").loaded == 1


def test_duplicate_ids_within_one_file_keep_the_last_and_quarantine_a_conflict(store, tmp_path):
    f = write(
        tmp_path,
        "dups.csv",
        "call_id,arrived_at,outcome,wait_s\n"
        "same,2024-09-01 08:00,answered,3\n"  # line 2
        "diff,2024-09-01 08:00,answered,3\n"  # line 3, superseded by line 5
        "same,2024-09-01 08:00,answered,3\n"  # line 4, identical: a duplicate
        "diff,2024-09-01 08:00,answered,8\n",  # line 5
    )
    r = ingest_file(store, "calls", f, "riyadh")
    assert (r.read, r.loaded, r.duplicate, r.rejected) == (4, 2, 1, 1)
    assert calls(store)["diff"][2] == 8.0
    [(line, column, value, reason)] = quarantine(store, r.batch_id)
    assert (line, column, value) == (3, "call_id", "diff") and "line 5" in reason


def test_caller_ids_are_stored_only_as_a_keyed_pseudonym(store, tmp_path):
    f = write(
        tmp_path,
        "callers.csv",
        "call_id,arrived_at,outcome,wait_s,caller_id\nc1,2024-09-01 08:00,answered,3,966512345678\n",
    )
    ingest_file(store, "calls", f, "riyadh")
    with store.reader() as con:
        salt = con.execute("SELECT value FROM meta WHERE key = 'caller_salt'").fetchall()[0][0]
        row = con.execute("SELECT * FROM calls").fetchall()[0]
    from analytics import pseudonyms

    expected = pseudonyms.pseudonym(pseudonyms.caller_key(), salt, "966512345678")
    assert expected in row
    assert not any("966512345678" in str(v) for v in row)
    assert hashlib.sha256(b"966512345678").hexdigest() not in row  # the salt is really used
    unkeyed = hashlib.sha256((salt + "966512345678").encode()).hexdigest()
    assert unkeyed not in row  # and the key (tests/analytics/test_pseudonyms.py)


# ----------------------------------------------------------------- centres and time zones


def test_an_unknown_centre_is_created_with_defaults_and_a_clashing_time_zone_is_refused(
    store, tmp_path
):
    f = write(
        tmp_path, "c.csv", "call_id,arrived_at,outcome,wait_s\nc1,2024-09-01 08:00,answered,3\n"
    )
    proc = run_cca("ingest", "calls", str(f), "--centre", "new_centre", db=store.path)
    assert "created centre new_centre" in proc.stderr
    with store.reader() as con:
        tz, thresholds, short = con.execute(
            "SELECT timezone, sl_thresholds_s, short_abandon_s FROM centres"
        ).fetchall()[0]
    assert (tz, thresholds, short) == ("UTC", [12.0, 30.0], 5.0)
    clash = run_cca(
        "ingest",
        "calls",
        str(f),
        "--centre",
        "new_centre",
        "--timezone",
        "Asia/Bahrain",
        db=store.path,
        check=False,
    )
    assert clash.returncode == 2 and "UTC" in clash.stderr
    bad = run_cca("ingest", "calls", str(f), "--centre", "Bad Name!", db=store.path, check=False)
    assert bad.returncode == 2 and "Bad Name!" in bad.stderr


# ----------------------------------------------------------------- mappings

BANK_TSV = (
    "\t".join(
        "vru+line call_id customer_id priority type date vru_entry vru_exit vru_time q_start "
        "q_exit q_time outcome ser_start ser_exit ser_time server".split()
    )
    + "\n"
    + "\n".join(
        "\t".join(row.split())
        for row in [
            # answered straight from the VRU: arrives at vru_exit, waits 0
            "AA0101 1 0 0 PS 990201 7:02:47 7:02:56 9 0:00:00 0:00:00 0 AGENT 7:02:55 7:05:41 166 DORIT",
            # queued 12 s, then answered by nobody in particular
            "AA0101 2 555 2 NW 990201 8:00:00 8:00:10 10 8:00:10 8:00:22 12 AGENT 8:00:22 8:01:22 60 NO_SERVER",
            # hung up after 30 s in queue: an abandon
            "AA0102 1 777 2 PS 990202 9:00:00 9:00:05 5 9:00:05 9:00:35 30 HANG 0:00:00 0:00:00 0 NO_SERVER",
            # hung up in the VRU, never queued; and a phantom: not offered to agents
            "AA0102 2 0 0 PS 990202 9:10:00 9:10:05 5 0:00:00 0:00:00 0 HANG 0:00:00 0:00:00 0 NO_SERVER",
            "AA0103 1 0 0 PS 990202 9:20:00 9:20:05 5 9:20:05 9:20:06 1 PHANTOM 0:00:00 0:00:00 0 NO_SERVER",
            # queued across midnight
            "AA0103 2 0 0 IN 990203 23:59:50 0:00:05 15 0:00:05 0:00:45 40 AGENT 0:00:45 0:02:00 75 AVI",
        ]
    )
    + "\n"
)


def test_the_shipped_anonymous_bank_mapping_loads_a_file_of_the_same_shape(store, tmp_path):
    f = write(tmp_path, "bank.tsv", BANK_TSV)
    mapping = ROOT / "data" / "mappings" / "anonymous_bank.toml"
    r = ingest_file(store, "calls", f, "bank", mapping=mapping)
    assert (r.read, r.loaded, r.filtered, r.rejected) == (6, 4, 2, 0)
    with store.reader() as con:
        # The batch row keeps the same accounting: 6 read = 4 loaded + 2 filtered.
        assert con.execute(
            "SELECT rows_read, rows_loaded, rows_filtered, rows_rejected FROM ingest_batches"
        ).fetchall() == [(6, 4, 2, 0)]
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT call_id, arrived_at, outcome, wait_s, talk_s, category, agent_id, "
            "caller_hash IS NOT NULL FROM calls ORDER BY call_id"
        ).fetchall()
        tz = con.execute("SELECT timezone FROM centres").fetchall()[0][0]
    assert tz == "Asia/Jerusalem"  # Israel in February: UTC+2
    assert rows == [
        ("AA0101-1", at(1999, 2, 1, 5, 2, 56), "answered", 0.0, 166.0, "PS", "DORIT", False),
        ("AA0101-2", at(1999, 2, 1, 6, 0, 10), "answered", 12.0, 60.0, "NW", None, True),
        ("AA0102-1", at(1999, 2, 2, 7, 0, 5), "abandoned", 30.0, None, "PS", None, True),
        ("AA0103-2", at(1999, 2, 3, 22, 0, 5), "answered", 40.0, 75.0, "IN", "AVI", False),
    ]


def test_a_mapping_that_references_a_missing_column_names_key_and_column(store, tmp_path):
    f = write(tmp_path, "c.csv", "id,t,o,w\nc1,2024-09-01 08:00,answered,3\n")
    m = tmp_path / "m.toml"
    m.write_text(
        'kind = "calls"\n[columns]\ncall_id = "id"\narrived_at = "t"\n'
        'outcome = "o"\nwait_s = "wait_seconds"\n'
    )
    with pytest.raises(IngestError, match=r"columns\.wait_s.*wait_seconds"):
        ingest_file(store, "calls", f, "riyadh", mapping=m)


def test_a_mapping_must_hold_single_expressions_and_known_keys(tmp_path):
    m = tmp_path / "m.toml"
    m.write_text('kind = "calls"\n[columns]\ncall_id = "id FROM calls"\n')
    with pytest.raises(MappingError, match="columns.call_id"):
        load_mapping(m)
    m.write_text('kind = "calls"\nfliter = "x"\n')
    with pytest.raises(MappingError, match="fliter"):
        load_mapping(m)


# ----------------------------------------------------------------- Parquet and tickets


def test_parquet_keeps_its_types_and_numbers_rejects_by_row(store, tmp_path):
    table = pa.table(
        {
            "call_id": ["p1", "p2", "p3"],
            "arrived_at": pa.array(
                [
                    dt.datetime(2024, 9, 1, 8),
                    dt.datetime(2024, 9, 1, 9),
                    dt.datetime(2024, 9, 1, 10),
                ],
                pa.timestamp("us"),
            ),
            "outcome": ["answered", "abandoned", "answered"],
            "wait_s": [1.5, float("nan"), 4.0],
        }
    )
    f = tmp_path / "calls.parquet"
    pq.write_table(table, f)
    r = ingest_file(store, "calls", f, "riyadh", timezone="Asia/Riyadh")
    assert (r.format, r.loaded, r.rejected) == ("parquet", 2, 1)
    assert calls(store)["p1"][0] == at(2024, 9, 1, 5)
    assert quarantine(store, r.batch_id)[0][:2] == (2, "wait_s")


def test_tickets_load_and_a_resolution_before_creation_is_quarantined(store, tmp_path):
    f = write(
        tmp_path,
        "tickets.csv",
        "ticket_id,created_at,first_response_at,resolved_at,status,category\n"
        "t1,2024-09-01 08:00,2024-09-01 09:00,2024-09-02 10:00,resolved,employer\n"
        "t2,2024-09-01 08:00,,,open,worker\n"
        "t3,2024-09-03 08:00,,2024-09-02 08:00,resolved,worker\n",
    )
    r = ingest_file(store, "tickets", f, "manama", timezone="Asia/Bahrain")
    assert (r.loaded, r.rejected) == (2, 1)
    assert quarantine(store, r.batch_id)[0][:2] == (4, "resolved_at")
    again = ingest_file(store, "tickets", f, "manama")
    assert (again.loaded, again.duplicate) == (0, 2)


def test_the_batch_records_file_checksum_and_counts(store, tmp_path):
    f = write(
        tmp_path,
        "c.csv",
        "call_id,arrived_at,outcome,wait_s\nc1,2024-09-01 08:00,answered,3\nc2,x,answered,1\n",
    )
    r = ingest_file(store, "calls", f, "riyadh")
    with store.reader() as con:
        row = con.execute(
            "SELECT sha256, rows_read, rows_loaded, rows_rejected, finished_at >= started_at "
            "FROM ingest_batches WHERE batch_id = ?",
            [r.batch_id],
        ).fetchall()[0]
    assert row == (hashlib.sha256(f.read_bytes()).hexdigest(), 2, 1, 1, True)


def test_a_wide_file_of_a_million_calls_loads_and_names_its_one_bad_line(store, tmp_path):
    f = tmp_path / "million.csv"
    write_many_calls(
        f,
        1_000_000,
        "CASE WHEN i % 10 = 0 THEN 'abandoned' ELSE 'answered' END AS outcome, "
        "CASE WHEN i = 999990 THEN -1 ELSE i % 60 END AS wait_s",
    )
    r = ingest_file(store, "calls", f, "riyadh")
    assert (r.read, r.loaded, r.rejected) == (1_000_000, 999_999, 1)
    assert r.first_rejects[0].line == 999_992 and r.first_rejects[0].value == "-1"


def test_format_names_the_input_and_the_output_and_may_be_given_twice(tmp_path):
    db = tmp_path / "cli.duckdb"
    f = tmp_path / "calls.data"  # no telling extension: the input format is given
    pq.write_table(
        pa.table(
            {
                "call_id": ["q1"],
                "arrived_at": ["2024-09-01 08:00:00"],
                "outcome": ["answered"],
                "wait_s": [2],
            }
        ),
        f,
    )
    proc = run_cca(
        "ingest",
        "calls",
        str(f),
        "--centre",
        "c",
        "--format",
        "parquet",
        "--format",
        "json",
        db=db,
    )
    [record] = json.loads(proc.stdout)
    assert (record["format"], record["loaded"]) == ("parquet", 1)
    both = run_cca(
        "ingest",
        "calls",
        str(f),
        "--centre",
        "c",
        "--format",
        "csv",
        "--format",
        "parquet",
        db=db,
        check=False,
    )
    assert both.returncode == 2 and "one input format" in both.stderr


def test_a_mapping_with_a_long_in_list_still_names_the_right_line(store, tmp_path):
    """DuckDB turns an IN list of five or more constants into a join, which reorders the
    rows of a file read in parallel; the staged rows must keep the file's order, or the
    bad row's line would be wrong."""
    f = tmp_path / "million.csv"
    write_many_calls(
        f,
        1_000_000,
        "(['answered', 'abandoned', 'timeout', 'busy', 'ivr'])[1 + i % 5] AS result, "
        "CASE WHEN i IN (123456, 654321) THEN -i ELSE i % 60 END AS wait_s",
    )
    mapping = ColumnMapping(
        kind="calls",
        columns={
            "call_id": "call_id",
            "arrived_at": "arrived_at",
            "outcome": "CASE WHEN result IN ('busy', 'ivr', 'none', 'x', 'y') "
            "THEN 'timeout' ELSE result END",
            "wait_s": "wait_s",
        },
    )
    r = ingest_file(store, "calls", f, "riyadh", mapping=mapping)
    assert (r.read, r.loaded, r.rejected) == (1_000_000, 999_998, 2)
    # row i is on line i + 2 (after the header)
    assert [(x.line, x.value) for x in r.first_rejects] == [
        (123_458, "-123456"),
        (654_323, "-654321"),
    ]
