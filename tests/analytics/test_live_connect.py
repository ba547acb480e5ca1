"""Amazon Connect's streams followed live: at-least-once delivery, duplicates dropped.

Agent events (Kinesis agent event stream) and contact events (EventBridge) are written
by hand below, each record delivered twice or more as Connect may; the follower reads
them from standard input of the real ``cca live follow -`` and from a file.
"""

from __future__ import annotations

import json

from support.cli import run_cca

from analytics.live.follower import Follower
from analytics.store import Store


def agent_event(n, at, user, status, contacts=()):
    return {
        "EventId": f"ev-{n}",
        "EventType": "STATE_CHANGE",
        "EventTimestamp": at,
        "AgentARN": f"arn:aws:connect:eu:1:instance/x/agent/{user}-arn",
        "CurrentAgentSnapshot": {
            "AgentStatus": {"Name": status},
            "Configuration": {
                "Username": user,
                "RoutingProfile": {"Queues": [{"Name": "support"}]},
            },
            "Contacts": [{"ContactId": "c", "State": s} for s in contacts],
        },
    }


def contact_event(n, at, contact, kind, **detail):
    return {
        "id": f"ce-{n}",
        "detail-type": "Amazon Connect Contact Event",
        "time": at,
        "detail": {"contactId": contact, "eventType": kind, "channel": "VOICE", **detail},
    }


def test_agent_events_delivered_twice_count_once_and_give_each_agents_state(tmp_path):
    db = tmp_path / "t.duckdb"
    events = [
        agent_event(1, "2024-09-01T08:00:00Z", "alice", "Available"),
        agent_event(2, "2024-09-01T08:00:00Z", "bob", "Available"),
        agent_event(3, "2024-09-01T08:01:00Z", "alice", "Available", ["CONNECTING"]),
        agent_event(4, "2024-09-01T08:01:05Z", "alice", "Available", ["CONNECTED"]),
        agent_event(5, "2024-09-01T08:02:00Z", "bob", "Lunch"),
        agent_event(6, "2024-09-01T08:04:00Z", "alice", "Available", ["ENDED"]),
        agent_event(7, "2024-09-01T08:05:00Z", "carol", "Offline"),
    ]
    stream = [events[0], events[1], events[0], events[2], events[3], events[2], events[4],
              events[5], events[5], events[6]]  # fmt: skip
    text = "\n".join(json.dumps(e) for e in stream) + "\nnot json\n"
    proc = run_cca("live", "follow", "-", "--centre", "c", "--format", "connect_agent_events",
                   db=db, input=text)  # fmt: skip
    assert "3 duplicate(s)" in proc.stderr and "1 malformed" in proc.stderr
    with Store(db).reader() as con:
        assert dict(
            con.execute(
                "SELECT agent_id, state || coalesce(':' || reason, '') FROM live_agent_state"
            ).fetchall()
        ) == {"alice": "wrap_up", "bob": "paused:Lunch", "carol": "logged_out"}
        history = con.execute(
            "SELECT state FROM live_agent_state_history WHERE agent_id = 'alice' ORDER BY started_at"
        ).fetchall()
        assert [h[0] for h in history] == ["available", "ringing", "on_call", "wrap_up"]
        assert con.execute("SELECT events, duplicates FROM live_feed_health").fetchall() == [(7, 3)]


def test_contact_events_with_duplicates_load_each_call_once_as_a_contact_record_would(
    store, tmp_path
):
    events = [
        contact_event(1, "2024-09-01T08:00:10Z", "k1", "QUEUED",
                      queueInfo={"queueArn": "arn:x/queue/support",
                                 "enqueueTimestamp": "2024-09-01T08:00:10Z"}),
        contact_event(2, "2024-09-01T08:00:30Z", "k2", "QUEUED",
                      queueInfo={"queueArn": "arn:x/queue/support",
                                 "enqueueTimestamp": "2024-09-01T08:00:30Z"}),
        contact_event(3, "2024-09-01T08:00:22Z", "k1", "CONNECTED_TO_AGENT",
                      agentInfo={"agentArn": "arn:x/agent/alice",
                                 "connectedToAgentTimestamp": "2024-09-01T08:00:22Z"}),
        contact_event(4, "2024-09-01T08:00:37Z", "k2", "DISCONNECTED",
                      disconnectTimestamp="2024-09-01T08:00:37Z",
                      disconnectReason="CUSTOMER_DISCONNECT"),
        contact_event(5, "2024-09-01T08:03:22Z", "k1", "DISCONNECTED",
                      disconnectTimestamp="2024-09-01T08:03:22Z",
                      disconnectReason="CUSTOMER_DISCONNECT"),
    ]  # fmt: skip
    log = tmp_path / "contacts.jsonl"
    order = [0, 1, 0, 2, 3, 3, 2, 4, 4]
    log.write_text("\n".join(json.dumps(events[i]) for i in order[:5]) + "\n")
    f = Follower(store, "c", str(log), "connect_contact_events")
    f.run(until_idle=True)
    with store.reader() as con:
        assert con.execute("SELECT call_key FROM live_calls_waiting").fetchall() == []
        assert con.execute("SELECT count(*) FROM calls").fetchall() == [(1,)]
    with open(log, "a") as out:
        out.write("\n".join(json.dumps(events[i]) for i in order[5:]) + "\n")
    f.run(until_idle=True)
    with store.reader() as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            "SELECT call_id, outcome, wait_s, talk_s, queue, agent_id FROM calls ORDER BY call_id"
        ).fetchall()
        health = con.execute("SELECT events, duplicates FROM live_feed_health").fetchall()
    assert rows == [("k1", "answered", 12.0, 180.0, "support", "alice"),
                    ("k2", "abandoned", 7.0, None, "support", None)]  # fmt: skip
    assert health == [(5, 4)]
