"""One set of calls, three files: canonical CSV, Asterisk queue_log, Connect contact records.

The same twelve calls are written in each format (as the switch or the cloud would write
them) and loaded into three centres of one store; every call KPI -- overall, by queue,
agent and channel, and per 15-minute interval in Riyadh time -- must come out identical.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analytics.centres import get_centre
from analytics.ingest import ingest_file
from analytics.kpi import call_kpis

START = dt.datetime(2024, 9, 1, 5, 0, 0, tzinfo=dt.UTC)  # 08:00 in Riyadh
# (seconds after START, outcome, wait s, talk s, queue, agent): waits sit on and around the
# 12 s and 30 s thresholds and the 5 s short-abandon threshold; the calls cross 08:15.
CALLS = [
    (10, "answered", 12, 180, "support", "alice"),
    (25, "answered", 13, 95, "support", "bob"),
    (40, "abandoned", 4, None, "support", None),
    (70, "abandoned", 30, None, "support", None),
    (95, "timeout", 60, None, "sales", None),
    (120, "answered", 0, 240, "sales", "carol"),
    (400, "answered", 31, 60, "sales", "carol"),
    (610, "abandoned", 5, None, "sales", None),
    (880, "answered", 29, 300, "support", "alice"),  # arrives 08:14:40, answered 08:15:09
    (905, "answered", 7, 120, "support", "bob"),
    (1300, "timeout", 120, None, "support", None),
    (1500, "answered", 45, 30, "sales", "carol"),
]


def iso(seconds: float) -> str:
    return (START + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_canonical_csv(path):
    lines = ["call_id,arrived_at,outcome,wait_s,talk_s,queue,agent_id,channel"]
    for i, (t, outcome, wait, talk, queue, agent) in enumerate(CALLS):
        talk_text = "" if talk is None else str(talk)
        lines.append(f"c{i},{iso(t)},{outcome},{wait},{talk_text},{queue},{agent or ''},phone")
    path.write_text("\n".join(lines) + "\n")


def write_queue_log(path):
    epoch0 = int(START.timestamp())
    events = []  # (epoch, order, line)
    for i, (t, outcome, wait, talk, queue, agent) in enumerate(CALLS):
        uid = f"{epoch0 + t}.{i}"
        e = epoch0 + t
        events.append((e, 0, f"{e}|{uid}|{queue}|NONE|ENTERQUEUE||+9665000000{i:02d}|1"))
        if outcome == "answered":
            member = agent  # Asterisk logs the member name (queues.conf membername)
            events.append(
                (e + wait, 1, f"{e + wait}|{uid}|{queue}|{member}|CONNECT|{wait}|x.{i}|1")
            )
            events.append(
                (e + wait + talk, 2, f"{e + wait + talk}|{uid}|{queue}|{member}|COMPLETECALLER|"
                 f"{wait}|{talk}|1")
            )  # fmt: skip
        elif outcome == "abandoned":
            events.append((e + wait, 2, f"{e + wait}|{uid}|{queue}|NONE|ABANDON|1|1|{wait}"))
        else:
            events.append(
                (e + wait, 2, f"{e + wait}|{uid}|{queue}|NONE|EXITWITHTIMEOUT|1|1|{wait}")
            )
    path.write_text("\n".join(line for *_key, line in sorted(events)) + "\n")


def write_contact_records(path):
    records = []
    for i, (t, outcome, wait, talk, queue, agent) in enumerate(CALLS):
        answered = outcome == "answered"
        end = t + wait + (talk or 0)
        records.append(
            {
                "ContactId": f"0000{i:04d}-aaaa-4bbb-8ccc-000000000000",
                "Channel": "VOICE",
                "InitiationMethod": "INBOUND",
                "InitiationTimestamp": iso(t - 20),
                "DisconnectTimestamp": iso(end),
                "DisconnectReason": "CONTACT_FLOW_DISCONNECT"
                if outcome == "timeout"
                else "CUSTOMER_DISCONNECT",
                "LastUpdateTimestamp": iso(end + 60),
                "Queue": {
                    "Name": queue,
                    "EnqueueTimestamp": iso(t),
                    "DequeueTimestamp": iso(t + wait),
                    "Duration": wait,
                },
                "Agent": {
                    "Username": agent,
                    "ConnectedToAgentTimestamp": iso(t + wait),
                    "AgentInteractionDuration": talk,
                    "CustomerHoldDuration": 0,
                    "AfterContactWorkDuration": 0,
                }
                if answered
                else None,
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")


@pytest.fixture
def three_centres(store, tmp_path):
    csv, log, ctr = tmp_path / "calls.csv", tmp_path / "queue_log", tmp_path / "ctr.jsonl"
    write_canonical_csv(csv)
    write_queue_log(log)
    write_contact_records(ctr)
    for centre, path in (("as_csv", csv), ("as_queue_log", log), ("as_ctr", ctr)):
        r = ingest_file(store, "calls", path, centre, timezone="Asia/Riyadh")
        assert (r.loaded, r.rejected, r.filtered) == (len(CALLS), 0, 0), centre
    return store


@pytest.mark.parametrize(
    "by, interval",
    [((), None), (("queue",), None), (("agent_id",), None), (("queue", "channel"), "15min")],
)
def test_the_same_calls_give_identical_kpis_from_csv_queue_log_and_contact_records(
    three_centres, by, interval
):
    results = {}
    with three_centres.reader() as con:
        for centre in ("as_csv", "as_queue_log", "as_ctr"):
            results[centre] = call_kpis(
                con,
                get_centre(con, centre),
                by=by,
                interval=interval,
                thresholds_s=(12, 30),
                short_abandon_s=5,
            )
    assert results["as_queue_log"] == results["as_csv"]
    assert results["as_ctr"] == results["as_csv"]


def test_the_shared_figures_are_the_hand_computed_ones(three_centres):
    with three_centres.reader() as con:
        k = call_kpis(con, get_centre(con, "as_queue_log"), thresholds_s=(12, 30))[0]
    assert (k["offered"], k["answered"], k["abandoned"], k["timed_out"]) == (12, 7, 3, 2)
    # answered waits 12, 13, 0, 31, 29, 7, 45: within 12 s: 12, 0, 7; within 30 s: + 13, 29
    assert k["sl_offered_12"] == 3 / 12 and k["sl_answered_30"] == 5 / 7
    assert k["short_abandoned"] == 1  # the 4 s abandon (5 s is not short)
    assert k["aht_s"] == round((180 + 95 + 240 + 60 + 300 + 120 + 30) / 7, 9)  # to the ns
