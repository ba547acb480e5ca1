"""Alert rules, alerts and their log in the app-state store (``analytics.appstate``).

Plain functions over ``AppState`` for the command line, the watcher and the dashboards
(the banner of open alerts, acknowledgement, the /admin rule editor):

* rules and channels: ``load_rules`` (a TOML file replaces its centre's rules and
  channels), ``list_rules``, ``save_rule`` (validated), ``delete_rule``, ``list_channels``;
* alerts: ``record_alert`` (fired, or a repeat inside the cool-down), ``resolve_missing``,
  ``open_alerts``, ``acknowledge`` (also written to the audit log), ``alert_log``.

Times are ISO 8601 UTC instants, as everywhere in the app-state store. An alert's identity
is (centre, rule, subject): the subject is the category, site or check it is about ('' if
the rule raises one alert at a time). It is *open* until a manager acknowledges it or a
check no longer raises it (*resolved*).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from analytics.appstate import AppState, utc_now
from simulation.operations.alerts.rules import (
    Channel,
    Rule,
    RuleFile,
    channel_from_dict,
    load_rules_file,
    rule_from_dict,
)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- rules


def load_rules(state: AppState, path_or_file, username: str | None = None) -> RuleFile:
    """Load a rules file into the store: it replaces its centre's rules and channels."""
    parsed = path_or_file if isinstance(path_or_file, RuleFile) else load_rules_file(path_or_file)
    now = utc_now()
    with state.connect() as con:
        con.execute("DELETE FROM alert_rules WHERE centre_id = ?", [parsed.centre_id])
        con.execute("DELETE FROM alert_channels WHERE centre_id = ?", [parsed.centre_id])
        for ch in parsed.channels.values():
            con.execute(
                "INSERT INTO alert_channels (centre_id, name, type, config) VALUES (?, ?, ?, ?)",
                [parsed.centre_id, ch.name, ch.type, json.dumps(dict(ch.config))],
            )
        for rule in parsed.rules:
            insert_rule(con, rule, str(parsed.path), now, username)
    state.audit(
        username,
        "alert_rules_loaded",
        {"centre_id": parsed.centre_id, "file": str(parsed.path), "rules": len(parsed.rules)},
    )
    return parsed


def insert_rule(con, rule: Rule, source: str, now: str, username: str | None) -> None:
    con.execute(
        """INSERT INTO alert_rules (centre_id, name, kind, params, cooldown_s, channels,
                                    enabled, source, updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (centre_id, name) DO UPDATE SET kind = excluded.kind,
               params = excluded.params, cooldown_s = excluded.cooldown_s,
               channels = excluded.channels, enabled = excluded.enabled,
               source = excluded.source, updated_at = excluded.updated_at,
               updated_by = excluded.updated_by""",
        [
            rule.centre_id,
            rule.name,
            rule.kind,
            json.dumps(dict(rule.params)),
            rule.cooldown_s,
            json.dumps(list(rule.channels)),
            int(rule.enabled),
            source,
            now,
            username,
        ],
    )


def _rule_of(row) -> Rule:
    return Rule(
        centre_id=row["centre_id"],
        name=row["name"],
        kind=row["kind"],
        params=json.loads(row["params"]),
        cooldown_s=int(row["cooldown_s"]),
        channels=tuple(json.loads(row["channels"])),
        enabled=bool(row["enabled"]),
    )


def rules_of(state: AppState, centre_ids: Iterable[str] | None = None) -> list[Rule]:
    """The stored rules (of these centres; None = every centre) as ``Rule`` objects."""
    with state.connect() as con:
        rows = con.execute("SELECT * FROM alert_rules ORDER BY centre_id, name").fetchall()
    wanted = None if centre_ids is None else set(centre_ids)
    return [_rule_of(r) for r in rows if wanted is None or r["centre_id"] in wanted]


def list_rules(state: AppState, centre_id: str) -> list[dict]:
    """A centre's rules as dicts (the TOML table's keys, plus source and last change)."""
    with state.connect() as con:
        rows = con.execute(
            "SELECT * FROM alert_rules WHERE centre_id = ? ORDER BY name", [centre_id]
        ).fetchall()
    out = []
    for row in rows:
        record = _rule_of(row).as_dict()
        record.update(
            centre_id=centre_id,
            source=row["source"],
            updated_at=row["updated_at"],
            updated_by=row["updated_by"],
        )
        out.append(record)
    return out


def list_channels(state: AppState, centre_id: str) -> dict[str, Channel]:
    """A centre's channels by name."""
    with state.connect() as con:
        rows = con.execute(
            "SELECT name, type, config FROM alert_channels WHERE centre_id = ? ORDER BY name",
            [centre_id],
        ).fetchall()
    return {r["name"]: Channel(r["name"], r["type"], json.loads(r["config"])) for r in rows}


def save_channel(
    state: AppState, centre_id: str, name: str, channel: dict, username: str | None = None
) -> Channel:
    """Validate and insert or replace one channel (``RuleError`` names the bad key)."""
    parsed = channel_from_dict(name, channel)
    with state.connect() as con:
        con.execute(
            "INSERT OR REPLACE INTO alert_channels (centre_id, name, type, config) "
            "VALUES (?, ?, ?, ?)",
            [centre_id, parsed.name, parsed.type, json.dumps(dict(parsed.config))],
        )
    state.audit(username, "alert_channel_saved", {"centre_id": centre_id, "channel": name})
    return parsed


def save_rule(
    state: AppState, centre_id: str, rule: dict[str, Any], username: str | None = None
) -> Rule:
    """Validate a rule (the TOML table's keys) and insert or replace it by name.

    ``RuleError`` names the rule and key that are wrong; its channels must exist.
    Written to the audit log as ``alert_rule_saved``.
    """
    parsed = rule_from_dict(centre_id, rule, "rule", list_channels(state, centre_id))
    with state.connect() as con:
        insert_rule(con, parsed, "admin", utc_now(), username)
    state.audit(username, "alert_rule_saved", {"centre_id": centre_id, **parsed.as_dict()})
    return parsed


def delete_rule(state: AppState, centre_id: str, name: str, username: str | None = None) -> bool:
    """Delete a rule; False if there was none. Its alerts and their log stay."""
    with state.connect() as con:
        gone = con.execute(
            "DELETE FROM alert_rules WHERE centre_id = ? AND name = ?", [centre_id, name]
        ).rowcount
    if gone:
        state.audit(username, "alert_rule_deleted", {"centre_id": centre_id, "rule": name})
    return bool(gone)


# --------------------------------------------------------------------------- alerts


def log_event(
    state: AppState,
    alert_id: int,
    centre_id: str,
    rule: str,
    event: str,
    *,
    channel: str | None = None,
    username: str | None = None,
    detail: dict | None = None,
) -> None:
    """One row of the alerts log (fired, sent, failed, acknowledged, resolved)."""
    with state.connect() as con:
        con.execute(
            "INSERT INTO alerts_log (at, alert_id, centre_id, rule, event, channel, username,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                utc_now(),
                alert_id,
                centre_id,
                rule,
                event,
                channel,
                username,
                json.dumps(detail or {}, ensure_ascii=False),
            ],
        )


def record_alert(state: AppState, alert: dict, cooldown_s: int) -> int | None:
    """Store a raised alert; its new id, or None when the same alert (centre, rule,
    subject) fired less than ``cooldown_s`` before ``alert["as_of"]`` (it is then only
    marked as still seen) — unless it was a warning and is now critical. A new alert is
    logged as ``fired``."""
    as_of = dt.datetime.fromisoformat(alert["as_of"])
    since = _iso(as_of - dt.timedelta(seconds=cooldown_s))
    key = [alert["centre_id"], alert["rule"], alert.get("subject") or ""]
    with state.connect() as con:
        recent = con.execute(
            "SELECT alert_id, severity FROM alerts WHERE centre_id = ? AND rule = ? "
            "AND subject = ? AND as_of > ? AND as_of <= ? ORDER BY as_of DESC LIMIT 1",
            [*key, since, _iso(as_of)],
        ).fetchone()
        escalated = recent is not None and (recent["severity"], alert["severity"]) == (
            "warning",
            "critical",
        )
        if recent is not None and cooldown_s > 0 and not escalated:
            con.execute(
                "UPDATE alerts SET last_seen_as_of = ? WHERE alert_id = ?",
                [_iso(as_of), recent["alert_id"]],
            )
            return None
        # A new firing supersedes an older open alert of the same identity.
        con.execute(
            "UPDATE alerts SET status = 'resolved', resolved_as_of = ? WHERE centre_id = ? "
            "AND rule = ? AND subject = ? AND status = 'open'",
            [_iso(as_of), *key],
        )
        alert_id = con.execute(
            """INSERT INTO alerts (centre_id, rule, kind, subject, severity, as_of, fired_at,
                                   value, threshold, payload, last_seen_as_of)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                *key[:2],
                alert["kind"],
                key[2],
                alert["severity"],
                _iso(as_of),
                utc_now(),
                alert.get("value"),
                alert.get("threshold"),
                json.dumps(alert, ensure_ascii=False, default=str),
                _iso(as_of),
            ],
        ).lastrowid
    log_event(state, alert_id, alert["centre_id"], alert["rule"], "fired",
              detail={"severity": alert["severity"], "value": alert.get("value")})  # fmt: skip
    return int(alert_id)


def resolve_missing(
    state: AppState, centre_id: str, rule: str, raised_subjects: Sequence[str], as_of: dt.datetime
) -> list[int]:
    """Resolve the open alerts of a rule that its latest check no longer raises."""
    with state.connect() as con:
        rows = con.execute(
            "SELECT alert_id, subject FROM alerts WHERE centre_id = ? AND rule = ? "
            "AND status = 'open' AND as_of <= ?",
            [centre_id, rule, _iso(as_of)],
        ).fetchall()
        gone = [r["alert_id"] for r in rows if r["subject"] not in set(raised_subjects)]
        for alert_id in gone:
            con.execute(
                "UPDATE alerts SET status = 'resolved', resolved_as_of = ? WHERE alert_id = ?",
                [_iso(as_of), alert_id],
            )
    for alert_id in gone:
        log_event(state, alert_id, centre_id, rule, "resolved", detail={"as_of": _iso(as_of)})
    return gone


def _alert_row(row) -> dict:
    record = json.loads(row["payload"])
    record.update(
        alert_id=row["alert_id"],
        status=row["status"],
        fired_at=row["fired_at"],
        last_seen_as_of=row["last_seen_as_of"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=row["acknowledged_at"],
        resolved_as_of=row["resolved_as_of"],
    )
    return record


def open_alerts(state: AppState, centre_ids: Iterable[str] | None = None) -> list[dict]:
    """The open alerts of these centres (None or ``"*"`` in it: every centre), critical
    first, newest first. Each is the alert's JSON (``centre_id``, ``rule``, ``kind``,
    ``severity``, ``as_of``, ``value``, ``threshold``, ``message`` {en, ar}, the rule's
    figures) plus ``alert_id``, ``status``, ``fired_at``, ``last_seen_as_of``."""
    wanted = None if centre_ids is None else set(centre_ids)
    if wanted is not None and "*" in wanted:
        wanted = None
    with state.connect() as con:
        rows = con.execute(
            "SELECT * FROM alerts WHERE status = 'open' "
            "ORDER BY severity = 'critical' DESC, as_of DESC, alert_id DESC"
        ).fetchall()
    return [_alert_row(r) for r in rows if wanted is None or r["centre_id"] in wanted]


def get_alert(state: AppState, alert_id: int) -> dict | None:
    with state.connect() as con:
        row = con.execute("SELECT * FROM alerts WHERE alert_id = ?", [int(alert_id)]).fetchone()
    return None if row is None else _alert_row(row)


def acknowledge(state: AppState, alert_id: int, username: str) -> bool:
    """A manager acknowledges an open alert: it leaves the banner; who and when go to the
    alerts log and the audit log (``alert_ack``). False if it was not open."""
    now = utc_now()
    with state.connect() as con:
        row = con.execute(
            "SELECT centre_id, rule FROM alerts WHERE alert_id = ? AND status = 'open'",
            [int(alert_id)],
        ).fetchone()
        if row is None:
            return False
        con.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, "
            "acknowledged_at = ? WHERE alert_id = ?",
            [username, now, int(alert_id)],
        )
    log_event(state, int(alert_id), row["centre_id"], row["rule"], "acknowledged",
              username=username)  # fmt: skip
    state.audit(
        username,
        "alert_ack",
        {"alert_id": int(alert_id), "centre_id": row["centre_id"], "rule": row["rule"]},
    )
    return True


def alert_log(
    state: AppState, centre_ids: Iterable[str] | None = None, limit: int = 200
) -> list[dict]:
    """The newest rows of the alerts log (fired, sent, failed, acknowledged, resolved)."""
    with state.connect() as con:
        rows = con.execute(
            "SELECT id, at, alert_id, centre_id, rule, event, channel, username, detail "
            "FROM alerts_log ORDER BY id DESC LIMIT ?",
            [int(limit)],
        ).fetchall()
    wanted = None if centre_ids is None else set(centre_ids)
    out = []
    for r in rows:
        if wanted is None or r["centre_id"] in wanted:
            record = dict(r)
            record["detail"] = json.loads(record["detail"])
            out.append(record)
    return out
