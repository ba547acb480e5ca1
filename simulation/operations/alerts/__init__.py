"""Proactive alerts: warn before a target is missed, not after.

A contact-centre manager wants at 11:00, not at midnight, "today will close at 74% within
12 s unless two more agents log in". Rules per centre (``rules``: TOML, validated) live in
the app-state store (``state``); ``evaluate`` checks the analytics store against them at an
instant through the KPI layer and Erlang A; ``watcher`` repeats the check, records every
alert and hands new ones to ``channels`` (webhook, e-mail) once per cool-down.

The dashboards' banner and /admin rule editor call the plain functions re-exported here.
"""

from simulation.operations.alerts.rules import (
    KINDS,
    Rule,
    RuleError,
    load_rules_file,
    rule_from_dict,
)
from simulation.operations.alerts.state import (
    acknowledge,
    alert_log,
    delete_rule,
    get_alert,
    list_channels,
    list_rules,
    load_rules,
    open_alerts,
    save_channel,
    save_rule,
)

__all__ = [
    "KINDS",
    "Rule",
    "RuleError",
    "acknowledge",
    "alert_log",
    "delete_rule",
    "get_alert",
    "list_channels",
    "list_rules",
    "load_rules",
    "load_rules_file",
    "open_alerts",
    "rule_from_dict",
    "save_channel",
    "save_rule",
]
