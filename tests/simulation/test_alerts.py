"""Proactive alerts on hand-built stores: each kind fires on a case built for it and stays
quiet on its counter-case; rules files are checked at the door; webhooks reach a local
HTTP server and e-mails a local SMTP server (aiosmtpd), in English and Arabic; a webhook
that hangs or answers 500 is retried and logged while the e-mail still goes out; the same
alert inside its cool-down is sent once; acknowledgements reach the audit log; the watcher
stops cleanly on SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import math
import signal
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from support.cli import ROOT, run_cca, start_cca
from support.kpi import add_calls, add_tickets, local, write_calls_csv

from analytics.appstate import AppState
from analytics.centres import Centre
from analytics.ingest import ingest_file
from analytics.kpi import ticket_kpis
from analytics.periods import Period
from analytics.store import Store
from simulation.formulas.erlang import erlang_a_metrics
from simulation.operations.alerts import (
    RuleError,
    acknowledge,
    alert_log,
    delete_rule,
    list_rules,
    load_rules,
    open_alerts,
    rule_from_dict,
    save_channel,
    save_rule,
)
from simulation.operations.alerts.channels import Dispatcher
from simulation.operations.alerts.evaluate import CentreEvaluator
from simulation.operations.alerts.rules import load_rules_file
from simulation.operations.alerts.sl_projection import ErlangRest
from simulation.operations.alerts.watcher import Watcher

TZ = "Asia/Riyadh"
CENTRE = Centre(
    centre_id="desk",
    name="Desk",
    timezone=TZ,
    # Sunday-Thursday 08:00-16:00: one full working day is 8 hours
    opening_hours={d: ((("08:00", "16:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)},
    weekend=(5, 6),
)


def evaluate(store: Store, rule: dict, as_of: dt.datetime, centre: Centre = CENTRE) -> list:
    with store.reader() as con:
        return CentreEvaluator(con, centre).evaluate(rule_from_dict(centre.centre_id, rule), as_of)


def _calls(start: str, n: int, abandoned: int, spacing_s: int = 60) -> list[dict]:
    t0 = dt.datetime.fromisoformat(start)
    return [
        {
            "arrived_at": (t0 + dt.timedelta(seconds=spacing_s * k)).isoformat(sep=" "),
            "outcome": "abandoned" if k < abandoned else "answered",
            "wait_s": 40.0 if k < abandoned else 5.0,
            "talk_s": None if k < abandoned else 120.0,
            "category": "employer",
        }
        for k in range(n)
    ]


# --------------------------------------------------------------------------- the kinds

ABANDON = {"name": "abandons", "kind": "abandon_rate", "minutes": 60, "cap": 0.25,
           "critical_above": 0.5, "min_calls": 20, "cooldown": "1h"}  # fmt: skip


def test_abandon_rate_fires_on_the_last_hours_share_and_not_on_few_calls(store):
    # 40 calls 10:00-10:39, 15 abandoned; 5 calls at 09:00 all abandoned (outside the hour)
    add_calls(store, CENTRE, _calls("2026-03-10 10:00", 40, 15) + _calls("2026-03-10 09:00", 5, 5))
    [alert] = evaluate(store, ABANDON, local("2026-03-10 10:45", TZ))
    assert alert["value"] == 15 / 40 and alert["offered"] == 40 and alert["abandoned"] == 15
    assert alert["severity"] == "warning" and alert["threshold"] == 0.25
    assert "37.5%" in alert["message"]["en"] and "37.5%" in alert["message"]["ar"]
    # at 09:30 the hour holds only the five 09:00 calls: all abandoned, but below min_calls
    assert evaluate(store, ABANDON, local("2026-03-10 09:30", TZ)) == []
    # before the calls that arrived after as_of existed: the store as it stood then
    assert evaluate(store, ABANDON, local("2026-03-10 10:10", TZ)) == []


def test_abandon_rate_is_quiet_under_the_cap(store):
    add_calls(store, CENTRE, _calls("2026-03-10 10:00", 40, 4))
    assert evaluate(store, ABANDON, local("2026-03-10 10:45", TZ)) == []


TICKETS_DUE = {"name": "due", "kind": "ticket_deadline", "min_tickets": 2, "cooldown": "4h"}


def test_ticket_deadline_counts_the_kpi_layers_at_risk_per_category(store):
    # Tuesday 2026-03-10 10:00; SLA 3 working days of 8 h. Created Sunday 09:00 -> due
    # Wednesday 09:00, within the next working day (until Wednesday 10:00): at risk.
    # Created Sunday 12:00 -> due Wednesday 12:00: not yet. Resolved tickets never are.
    add_tickets(
        store,
        CENTRE,
        [
            {"created_at": "2026-03-08 09:00", "category": "employer"},
            {"created_at": "2026-03-08 08:30", "category": "employer"},
            {
                "created_at": "2026-03-08 08:10",
                "category": "employer",
                "resolved_at": "2026-03-09 09:00",
            },  # fmt: skip
            {"created_at": "2026-03-08 12:00", "category": "employer"},
            {"created_at": "2026-03-08 09:30", "category": "worker"},
            {"created_at": "2026-03-09 09:00", "category": "worker"},
        ],
    )
    as_of = local("2026-03-10 10:00", TZ)
    [alert] = evaluate(store, TICKETS_DUE, as_of)
    assert (alert["subject"], alert["at_risk"], alert["backlog"]) == ("employer", 2, 3)
    with store.reader() as con:  # the same figure as the dashboards' at-risk list
        rows = ticket_kpis(con, CENTRE, period=Period(as_of.date(), as_of.date(), "d"),
                           by=("category",), as_of=as_of)  # fmt: skip
    assert {r["category"]: r["at_risk"] for r in rows} == {"employer": 2, "worker": 1}
    # at opening time the next working day ends Tuesday 16:00: nothing is due by then
    assert evaluate(store, TICKETS_DUE, local("2026-03-10 08:00", TZ)) == []


def _weekly_calls(days: list[str], interval: str, n: int) -> list[dict]:
    out = []
    for day in days:
        out += _calls(f"{day} {interval}", n, 0, spacing_s=150)
        out += _calls(f"{day} 09:00", 10, 0, spacing_s=150)
    return out


STALE = {"name": "feed", "kind": "stale_data", "refresh_hours": 24, "interval_minutes": 30,
         "min_expected_calls": 8, "weeks": 4, "cooldown": "4h"}  # fmt: skip
TUESDAYS = ["2026-02-10", "2026-02-17", "2026-02-24", "2026-03-03"]


def test_stale_data_fires_on_a_silent_normally_busy_interval(store):
    # 10 calls 10:00-10:25 on each of four Tuesdays; the fifth has calls at 09:00 only
    add_calls(
        store, CENTRE, _weekly_calls(TUESDAYS, "10:00", 10) + _calls("2026-03-10 09:00", 10, 0)
    )
    [alert] = evaluate(store, STALE, local("2026-03-10 10:35", TZ))
    assert alert["subject"] == "calls" and alert["interval_start"].startswith("2026-03-10T10:00")
    assert "10:00" in alert["message"]["en"] and "10:00" in alert["message"]["ar"]
    # 10:30-11:00 is not normally busy: nothing at 11:05
    assert evaluate(store, STALE, local("2026-03-10 11:05", TZ)) == []


def test_stale_data_is_quiet_when_the_interval_has_calls(store):
    add_calls(store, CENTRE, _weekly_calls([*TUESDAYS, "2026-03-10"], "10:00", 10))
    assert evaluate(store, STALE, local("2026-03-10 10:35", TZ)) == []


def test_stale_data_fires_when_no_load_came_within_the_refresh_interval(tmp_path):
    store = Store(tmp_path / "feed.duckdb")
    csv_path = tmp_path / "calls.csv"
    write_calls_csv(csv_path, [{"call_id": "1", "arrived_at": "2026-03-01T10:00:00+00:00",
                                "outcome": "answered", "wait_s": 3}])  # fmt: skip
    ingest_file(store, "calls", csv_path, "feed")
    with store.reader() as con:
        [(loaded,)] = con.execute("SELECT finished_at FROM ingest_batches").fetchall()
    centre = Centre(centre_id="feed")
    [alert] = evaluate(store, STALE, loaded + dt.timedelta(hours=25), centre)
    assert alert["subject"] == "load" and alert["value"] == pytest.approx(25.0)
    assert evaluate(store, STALE, loaded + dt.timedelta(hours=23), centre) == []
    # history replayed from before the store was loaded: nothing to judge
    assert evaluate(store, STALE, loaded - dt.timedelta(days=30), centre) == []


SITES = {"name": "crowded", "kind": "site_imbalance", "source": "tickets",
         "channel": "walk_in", "capacity": {"main": 7, "north": 3, "south": 2},
         "hours": 2, "ratio": 3.0, "critical_ratio": 6.0, "min_arrivals": 10,
         "cooldown": "1d"}  # fmt: skip


def _visits(counts: dict[str, int]) -> list[dict]:
    out = []
    for site, n in counts.items():
        for k in range(n):
            at = local("2026-03-10 08:00", TZ) + dt.timedelta(seconds=7200 * k / n)
            out.append({"created_at": at.strftime("%Y-%m-%d %H:%M:%S"), "channel": "walk_in",
                        "site": site, "category": "employer"})  # fmt: skip
    # web tickets at the main office are not visitors
    out += [{"created_at": "2026-03-10 09:00", "channel": "web", "site": "main"}] * 50
    return out


def test_site_imbalance_fires_for_the_crowded_office(store):
    add_tickets(store, CENTRE, _visits({"main": 63, "north": 3, "south": 2}))
    [alert] = evaluate(store, SITES, local("2026-03-10 10:05", TZ))
    # main: 63 / 7 = 9 per counter; siblings 1 and 1: median 1 -> 9 times, critical
    assert alert["subject"] == "main" and alert["arrivals"] == 63
    assert alert["load_per_unit"] == 9.0 and alert["siblings_median"] == 1.0
    assert alert["value"] == 9.0 and alert["severity"] == "critical"


def test_site_imbalance_is_quiet_when_load_per_counter_is_even(store):
    add_tickets(store, CENTRE, _visits({"main": 14, "north": 6, "south": 4}))
    assert evaluate(store, SITES, local("2026-03-10 10:05", TZ)) == []


def test_projection_of_one_interval_is_erlang_a():
    """One remaining interval: (so-far answered within T + calls × P(answered ≤ T)) /
    (so-far offered + calls), P from erlang_a_metrics; 3.5 agents lie between 3 and 4."""
    calls, seconds, aht, patience = 40.0, 1800.0, 180.0, 120.0
    m3, m4 = (erlang_a_metrics(calls, seconds, aht, patience, n, thresholds_s=[30]) for n in (3, 4))
    p = ErlangRest([(calls, seconds, 3.5)], aht, patience, 30.0, 5.0, "sl_offered")
    expected = (70 + calls * (m3["sl_offered_30"] + m4["sl_offered_30"]) / 2) / (100 + calls)
    assert p.value(70, 100, extra=0) == pytest.approx(expected, rel=1e-12)
    assert p.value(70, 100, extra=None) == (70 + calls) / (100 + calls)
    answered = ErlangRest([(calls, seconds, 4)], aht, patience, 30.0, 5.0, "sl_answered")
    assert answered.value(0, 0, extra=0) == pytest.approx(m4["sl_answered_30"], rel=1e-12)


# --------------------------------------------------------------------------- rules files


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text('centre_id = "desk"\n' + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, rule, key",
    [
        ('[[rules]]\nname = "a"\nkind = "sl_projection"\nkpi = "sl_offered_12"\ncooldown = "1h"',
         "'a'", "'target'"),
        ('[[rules]]\nname = "b"\nkind = "abandon_rate"\ncap = 1.5\ncooldown = "1h"', "'b'", "'cap'"),
        ('[[rules]]\nname = "c"\nkind = "queue_length"\ncooldown = "1h"', "'c'", "'kind'"),
        ('[[rules]]\nname = "d"\nkind = "abandon_rate"\ncap = 0.2\ncooldown = "soon"', "'d'",
         "'cooldown'"),
        ('[[rules]]\nname = "e"\nkind = "abandon_rate"\ncap = 0.2\ncooldown = "1h"\nwindow = 5',
         "'e'", "'window'"),
        ('[[rules]]\nname = "f"\nkind = "abandon_rate"\ncap = 0.2\ncooldown = "1h"\n'
         'channels = ["pager"]', "'f'", "'channels'"),
        ('[[rules]]\nname = "g"\nkind = "sl_projection"\nkpi = "sl_fast_12"\ntarget = 0.8\n'
         'cooldown = "1h"', "'g'", "'kpi'"),
        ('[channels.hook]\ntype = "webhook"\nurl = "ftp://x"\n', "'hook'", "'url'"),
    ],
)  # fmt: skip
def test_a_bad_rules_file_names_the_file_rule_and_key(tmp_path, text, rule, key):
    path = _file(tmp_path, text)
    with pytest.raises(RuleError) as caught:
        load_rules_file(path)
    message = str(caught.value)
    assert str(path) in message and rule in message and key in message, message


def test_cca_alerts_load_refuses_a_bad_file_naming_it(tmp_path):
    path = _file(tmp_path, '[[rules]]\nname = "b"\nkind = "abandon_rate"\ncap = 1.5\ncooldown = 60')
    proc = run_cca("alerts", "load", str(path), db=tmp_path / "x.duckdb", check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"{path}: rule 1 'b', key 'cap': 1.5 is not a fraction" in proc.stderr


def test_the_seed_centres_example_rules_load():
    for centre in ("bahrain_lmra", "saudi_mol"):
        parsed = load_rules_file(ROOT / "data" / "alerts" / f"{centre}.toml")
        assert parsed.centre_id == centre and len(parsed.rules) >= 4
    kinds = {r.kind for r in load_rules_file(ROOT / "data" / "alerts" / "saudi_mol.toml").rules}
    assert kinds == {"sl_projection", "abandon_rate", "ticket_deadline", "stale_data",
                     "site_imbalance"}  # fmt: skip


def test_rules_saved_edited_and_deleted_through_the_api(tmp_path):
    state = AppState(tmp_path / "app.sqlite")
    saved = save_rule(state, "desk", dict(ABANDON), username="admin")
    assert saved.params["cap"] == 0.25 and saved.cooldown_s == 3600
    save_rule(state, "desk", {**ABANDON, "cap": 0.3}, username="admin")
    [row] = list_rules(state, "desk")
    assert row["cap"] == 0.3 and row["updated_by"] == "admin" and row["source"] == "admin"
    with pytest.raises(RuleError, match="'cap'"):
        save_rule(state, "desk", {**ABANDON, "cap": "high"})
    with pytest.raises(RuleError, match="'channels'"):
        save_rule(state, "desk", {**ABANDON, "channels": ["ops"]})
    assert delete_rule(state, "desk", "abandons", username="admin")
    assert list_rules(state, "desk") == [] and not delete_rule(state, "desk", "abandons")
    actions = [r["action"] for r in state.audit_log()]
    assert actions[:3] == ["alert_rule_deleted", "alert_rule_saved", "alert_rule_saved"]


# --------------------------------------------------------------------------- delivery


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(json.loads(body))
        if self.server.mode == "hang":
            self.server.release.wait(10)
            return
        self.send_response(500 if self.server.mode == "fail" else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hooks():
    servers = {}
    for mode in ("ok", "fail", "hang"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        server.mode, server.bodies, server.release = mode, [], threading.Event()
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[mode] = server
    yield servers
    for server in servers.values():
        server.release.set()
        server.shutdown()
        server.server_close()


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (the controller needs to know its own)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def _watched_store(tmp_path: Path, channels: list[str], hooks, smtp):
    store = Store(tmp_path / "alerts.duckdb")
    add_calls(store, CENTRE, _calls("2026-03-10 10:00", 40, 15))
    state = AppState.beside(store.path)
    for name, server in hooks.items():
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        save_channel(state, "desk", name,
                     {"type": "webhook", "url": url, "timeout_s": 0.5, "retries": 1,
                      "backoff_s": 0.05})  # fmt: skip
    save_channel(state, "desk", "mail", {"type": "email", "to": ["manager@example.org"]})
    save_rule(state, "desk", {**ABANDON, "channels": channels})
    controller, _inbox = smtp
    env = {"CCA_SMTP_HOST": "127.0.0.1", "CCA_SMTP_PORT": str(controller.port),
           "CCA_SMTP_STARTTLS": "0", "CCA_SMTP_FROM": "cca@example.org"}  # fmt: skip
    return store, state, Watcher(store, state, ["desk"], Dispatcher(state, env=env))


def test_webhooks_and_email_deliver_and_failures_are_retried_and_logged(tmp_path, hooks, smtp):
    store, state, watcher = _watched_store(tmp_path, ["hang", "fail", "ok", "mail"], hooks, smtp)
    result = watcher.run_once(local("2026-03-10 10:45", TZ))
    [(alert_id, alert)] = result.fired
    assert watcher.dispatcher.wait(30)
    # the good endpoint got the alert's JSON once
    [body] = hooks["ok"].bodies
    assert body["rule"] == "abandons" and body["value"] == 15 / 40
    assert set(body["message"]) == {"en", "ar"}
    # the failing one was tried twice (retries = 1) and both tries reached it
    assert len(hooks["fail"].bodies) == 2 and len(hooks["hang"].bodies) == 2
    # the e-mail went out in both languages
    _controller, inbox = smtp
    [(to, raw)] = inbox.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_content()
    assert to == ["manager@example.org"]
    assert alert["message"]["en"] in text and alert["message"]["ar"] in text
    assert "تنبيه" in message["Subject"] and "Warning" in message["Subject"]
    log = {(r["event"], r["channel"]): r for r in alert_log(state) if r["alert_id"] == alert_id}
    assert set(log) == {("fired", None), ("sent", "ok"), ("sent", "mail"), ("failed", "fail"),
                        ("failed", "hang")}  # fmt: skip
    assert log[("failed", "fail")]["detail"]["status"] == 500
    assert log[("failed", "fail")]["detail"]["attempts"] == 2
    assert "timed out" in log[("failed", "hang")]["detail"]["error"]
    # the hanging endpoint held up neither the e-mail nor the good webhook
    assert log[("sent", "mail")]["id"] < log[("failed", "hang")]["id"]
    assert log[("sent", "ok")]["id"] < log[("failed", "hang")]["id"]


def test_the_same_alert_inside_its_cooldown_is_sent_once(tmp_path, hooks, smtp):
    store, state, watcher = _watched_store(tmp_path, ["ok"], hooks, smtp)
    first = watcher.run_once(local("2026-03-10 10:45", TZ))
    again = watcher.run_once(local("2026-03-10 10:55", TZ))  # still 15 of 40, 10 min later
    assert len(first.fired) == 1 and again.fired == [] and len(again.raised) == 1
    assert watcher.dispatcher.wait(30)
    assert len(hooks["ok"].bodies) == 1
    [alert] = open_alerts(state, ["desk"])
    assert alert["last_seen_as_of"].startswith("2026-03-10T07:55")  # UTC
    # after the cool-down (1 h) the same situation is sent again
    with store.writer() as con:  # the same 40 calls an hour and a half later
        con.execute("UPDATE calls SET arrived_at = arrived_at + INTERVAL 90 MINUTE")
        from analytics.kpi import rollup

        rollup.refresh(con, CENTRE)
    later = watcher.run_once(local("2026-03-10 12:15", TZ))
    assert len(later.fired) == 1
    assert watcher.dispatcher.wait(30) and len(hooks["ok"].bodies) == 2


def test_acknowledged_alerts_leave_the_banner_and_reach_the_audit(tmp_path, hooks, smtp):
    store, state, watcher = _watched_store(tmp_path, [], hooks, smtp)
    [(alert_id, _alert)] = watcher.run_once(local("2026-03-10 10:45", TZ)).fired
    assert [a["alert_id"] for a in open_alerts(state, ["desk"])] == [alert_id]
    assert open_alerts(state, ["elsewhere"]) == []
    assert acknowledge(state, alert_id, "manager1")
    assert open_alerts(state, ["desk"]) == [] and not acknowledge(state, alert_id, "manager1")
    [audit] = [r for r in state.audit_log() if r["action"] == "alert_ack"]
    assert audit["username"] == "manager1" and json.loads(audit["detail"])["alert_id"] == alert_id
    events = [(r["event"], r["username"]) for r in alert_log(state, ["desk"])]
    assert events[0] == ("acknowledged", "manager1") and ("fired", None) in events
    # an alert that a later check no longer raises is resolved
    store2, state2, watcher2 = _watched_store(tmp_path / "b", [], hooks, smtp)
    watcher2.run_once(local("2026-03-10 10:45", TZ))
    resolved = watcher2.run_once(local("2026-03-10 13:00", TZ)).resolved
    assert len(resolved) == 1 and open_alerts(state2) == []


def test_watch_stops_cleanly_on_sigterm(tmp_path):
    store = Store(tmp_path / "w.duckdb")
    add_calls(store, CENTRE, _calls("2026-03-10 10:00", 40, 15))
    state = AppState.beside(store.path)
    save_rule(state, "desk", ABANDON)
    proc = start_cca(
        "alerts", "watch", "--every", "1h", db=store.path, stderr=subprocess.PIPE, text=True
    )
    try:
        assert "watching" in proc.stderr.readline()
        assert proc.stderr.readline().startswith("check 1 at ")  # the first check is done
        proc.send_signal(signal.SIGTERM)  # ... and the watcher is waiting for the next
        assert proc.wait(timeout=60) == 0
        assert "stopped after 1 checks" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_check_prints_the_alert_json_of_the_issue(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    add_calls(store, CENTRE, _calls("2026-03-10 10:00", 40, 15))
    save_rule(AppState.beside(store.path), "desk", ABANDON)
    out = json.loads(
        run_cca(
            "alerts", "check", "--as-of", "2026-03-10T10:45", "--format", "json", db=store.path
        ).stdout  # fmt: skip
    )
    [alert] = out
    assert {"centre_id", "rule", "kind", "severity", "as_of", "value", "threshold",
            "message"} <= set(alert)  # fmt: skip
    assert alert["as_of"] == "2026-03-10T10:45:00+03:00" and math.isclose(alert["value"], 0.375)
    # check records nothing
    assert open_alerts(AppState.beside(store.path)) == []


def test_load_replaces_a_centres_rules(tmp_path):
    state = AppState(tmp_path / "app.sqlite")
    load_rules(state, ROOT / "data" / "alerts" / "saudi_mol.toml")
    assert len(list_rules(state, "saudi_mol")) == 5
    path = _file(tmp_path, '[[rules]]\nname = "x"\nkind = "abandon_rate"\ncap = 0.2\ncooldown = 60')
    path.write_text(path.read_text().replace("desk", "saudi_mol"))
    load_rules(state, path)
    assert [r["name"] for r in list_rules(state, "saudi_mol")] == ["x"]
