"""Amazon Connect contact records: queued contacts are calls, the latest copy wins.

``data/samples/amazon_connect_ctr_2024-09-01.jsonl`` was written by hand (10 lines: 9
contact records and one cut-off line); the expected calls below come from its fields.
"""

from __future__ import annotations

import datetime as dt
import json

from support.cli import ROOT
from support.kpi import stored_calls

from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis

SAMPLE = ROOT / "data" / "samples" / "amazon_connect_ctr_2024-09-01.jsonl"


def at(hh, mm, ss):
    return dt.datetime(2024, 9, 1, hh, mm, ss, tzinfo=dt.UTC)


def stored(store, centre="aws"):
    return stored_calls(
        store,
        centre,
        "arrived_at, outcome, wait_s, answered_at, ended_at, talk_s, hold_s, acw_s, queue, "
        "channel, agent_id",
    )


def test_queued_contacts_become_calls_with_connects_own_durations(store):
    r = ingest_file(store, "calls", SAMPLE, "aws")
    assert r.format == "connect_ctr"
    got = stored(store)
    c1, c2, c3, c4, c7 = (f"6a1c000{i}-0000-4000-8000-00000000000{i}" for i in (1, 2, 3, 4, 7))
    assert set(got) == {c1, c2, c3, c4, c7}
    # enqueued 08:00:10, connected 08:00:22; interaction 180 + hold 20 + acw 30
    assert got[c1] == (
        at(8, 0, 10), "answered", 12.0, at(8, 0, 22), at(8, 3, 42),
        180.0, 20.0, 30.0, "support", "phone", "alice",
    )  # fmt: skip
    # a queue but no agent: the customer hung up after 7 s
    assert got[c2][:5] == (at(8, 0, 30), "abandoned", 7.0, None, at(8, 0, 37))
    # the latest of three copies (LastUpdateTimestamp 08:06) is the answered one
    assert got[c3][:4] == (at(8, 0, 40), "answered", 25.0, at(8, 1, 5))
    assert got[c3][5:8] == (110.0, 10.0, 45.0)
    # the queue flow ended it: a timeout, not an abandon
    assert got[c4][:3] == (at(8, 0, 50), "timeout", 60.0)
    assert got[c7][9:] == ("chat", "bob")


def test_counts_superseded_copies_outbound_calls_and_bad_lines(store):
    r = ingest_file(store, "calls", SAMPLE, "aws")
    # 10 lines: 5 loaded; 2 earlier copies of contact 3 and 1 outbound call filtered;
    # the cut-off line and the record with enqueue time "yesterday morning" rejected
    assert (r.read, r.loaded, r.rejected, r.filtered) == (10, 5, 2, 3)
    with store.reader() as con:
        q = con.execute(
            "SELECT line, column_name, value FROM quarantine WHERE batch_id = ? ORDER BY line",
            [r.batch_id],
        ).fetchall()
    assert [(line, column) for line, column, _ in q] == [(6, None), (10, "arrived_at")]
    assert q[1][2] == "yesterday morning"
    assert any("superseded by a later LastUpdateTimestamp" in n for n in r.notes)
    again = ingest_file(store, "calls", SAMPLE, "aws")
    assert (again.loaded, again.updated, again.duplicate) == (0, 0, 5)


def test_a_json_array_export_reads_the_same_and_numbers_records(store, tmp_path):
    records = [
        json.loads(line) for line in SAMPLE.read_text().splitlines() if "cut off" not in line
    ]
    array = tmp_path / "contacts.json"
    array.write_text(json.dumps(records, indent=2))
    r = ingest_file(store, "calls", array, "arr")
    assert r.format == "connect_ctr"
    assert (r.loaded, r.rejected, r.filtered) == (5, 1, 3)
    assert stored(store, "arr") == stored_after_lines(store, tmp_path)
    with store.reader() as con:
        # the bad record is the 9th element of the array
        assert con.execute(
            "SELECT line FROM quarantine WHERE batch_id = ?", [r.batch_id]
        ).fetchall() == [(9,)]


def stored_after_lines(store, tmp_path):
    ingest_file(store, "calls", SAMPLE, "lines")
    return stored(store, "lines")


def test_kpis_include_hold_and_after_contact_work_in_aht(store):
    ingest_file(store, "calls", SAMPLE, "aws")
    with store.reader() as con:
        k = call_kpis(con, get_centre(con, "aws"), by=("channel",), thresholds_s=(12,))
    phone = next(row for row in k if row["channel"] == "phone")
    assert (phone["offered"], phone["answered"], phone["abandoned"], phone["timed_out"]) == (
        4,
        2,
        1,
        1,
    )
    assert phone["aht_s"] == ((180 + 20 + 30) + (110 + 10 + 45)) / 2
