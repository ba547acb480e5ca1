"""The dashboards' own words, by key: ``words(lang)["overview"]`` gives the text.

KPI labels, definitions, month names and dimension names come from the exports' words
(``analytics.exports.i18n.Labels``), so a manager reads the same label on the dashboard
as in the monthly report; this module adds what only the dashboards say (menus,
filters, stamps, tables). The English below is the message id; the Arabic is in the one
message catalogue (``analytics.translation``).
"""

from __future__ import annotations

import functools

from analytics.translation import LANGUAGES, N_, NP_, translator

LANGS = LANGUAGES

_MESSAGES = {
    "app": N_("Contact-centre analytics"),
    "overview": N_("Overview"),
    "categories": N_("Categories"),
    "intraday": N_("Intraday"),
    "tickets": N_("Tickets"),
    "sites": N_("Sites & channels"),
    "planner": N_("Planner"),
    "reports": N_("Reports"),
    "wallboard": N_("Wallboard"),
    "admin": N_("Admin"),
    "logout": N_("Log out"),
    "centre": N_("Centre"),
    "period": N_("Period"),
    "category": N_("Caller category"),
    "topic": N_("Topic"),
    "channel": N_("Channel"),
    "site": N_("Site"),
    "queue": N_("Queue"),
    "all": N_("All"),
    "today": N_("Today"),
    "yesterday": N_("Yesterday"),
    "this-week": N_("This week"),
    "this-month": N_("This month"),
    "last-month": N_("Last month"),
    "latest_day": N_("Latest day with calls"),
    "no_calls_today": N_("No calls yet today"),
    "data_as_of": N_("Data as of"),
    "last_load": N_("last load"),
    "stale": N_("The last load is older than {hours} hours: these figures may be out of date."),
    "never_loaded": N_("no load recorded"),
    "no_data": N_("No data for this selection."),
    "no_centre": N_("No centre you may see has data yet. Load some with cca ingest or cca demo."),
    "target": N_("Target"),
    "by_category": N_("By caller category"),
    "last_30_days": N_("last 30 days"),
    "calls": N_("Calls"),
    "n_calls": N_("calls"),  # after a number
    "two_answer_rates": N_("Two answer rates from one log"),
    "two_answer_rates_note": N_(
        "The answer rate counts every caller; the answer rate excluding short abandons "
        "leaves out callers who hung up within {s} s. Both are true; the label says which "
        "is meant."
    ),
    "formula": N_("How this is computed"),
    "denominator_zero": N_("no calls in the denominator: no value"),
    "volume_over_time": N_("Calls offered over time, by caller category"),
    "kpis_by_category": N_("Every KPI by caller category"),
    "topics_of": N_("Topics of"),
    "pick_category": N_("Pick a caller category to see its topics and intervals"),
    "intervals_of": N_("Intervals of"),
    "heat_offered": N_("Calls offered (mean per day)"),
    "day_vs_target": N_("One day's intervals against target"),
    "agents_vs_required": N_("Agents: actual (staffing table) against required (Erlang A)"),
    "actual_agents": N_("Actual agents"),
    "required_agents": N_("Required agents (Erlang A)"),
    "no_staffing": N_("No staffing table for this day: only the required agents are shown."),
    "day": N_("Day"),
    "interval": N_("Interval"),
    "weekday": N_("Weekday"),
    "created_resolved": N_("Created, resolved and backlog"),
    "created": N_("Created"),
    "resolved": N_("Resolved"),
    "backlog": N_("Backlog"),
    "sla_by": N_("SLA met by category and channel"),
    "at_risk_list": N_("At risk: open tickets that breach within a working day"),
    "deadline": N_("Deadline"),
    "hours_left": N_("Working hours left"),
    "ticket": N_("Ticket"),
    "created_at": NP_("when", "Created"),
    "nothing_at_risk": N_("No open ticket breaches within the next working day."),
    "sites_side_by_side": N_("Sites and branches side by side"),
    "channels_side_by_side": N_("Channels side by side"),
    "load_per_agent": N_("Load per agent or counter"),
    "per_counter": N_("per counter"),
    "no_counters": N_(
        "No counters per branch in the centre's settings: visits per counter need them."
    ),
    "busy": N_("Busy (occupancy)"),
    "month": N_("Month"),
    "gregorian": N_("Gregorian"),
    "hijri": N_("Hijri"),
    "language": N_("Language"),
    "download": N_("Download"),
    "preview": N_("Headline figures"),
    "wallboard_title": N_("Today"),
    "refreshes": N_("refreshes every 30 s"),
    "users": N_("Users"),
    "audit": N_("Audit log"),
    "add_user": N_("Add user"),
    "username": N_("User name"),
    "password": N_("Password"),
    "role": N_("Role"),
    "centres": N_("Centres (empty: all)"),
    "disable": N_("Disable"),
    "enable": N_("Enable"),
    "reset_password": N_("Reset password"),
    "remove": N_("Remove"),
    "save": N_("Save"),
    "saved": N_("Saved."),
    "forbidden": N_("Your role may not open this page."),
    "definition": N_("Definition"),
    "value": N_("Value"),
    "name": N_("Name"),
    "share": N_("Share"),
    "offered": N_("Offered"),
    "agents": N_("Agents"),
    "counters": N_("Counters"),
    "visits": N_("Visits"),
    "median_wait": N_("Median wait"),
    "signed_in_as": N_("Signed in as"),
    "alert_rules": N_("Alert rules"),
    "status": N_("Status"),
    "updated": N_("Updated"),
    "at": N_("When"),
    "action": N_("Action"),
    "detail": N_("Detail"),
    "rule_json": N_("Rule (JSON: the keys of its [[rules]] table)"),
    "kind": N_("Kind"),
    "enabled": N_("Enabled"),
    "cooldown": N_("Cool-down (s)"),
    "channels": N_("Channels"),
}


@functools.cache
def words(lang: str) -> dict[str, str]:
    """The dashboards' words in ``lang`` (``en`` or ``ar``; anything else is English)."""
    tr = translator(lang)
    return {
        key: tr.pgettext(*message) if isinstance(message, tuple) else tr.gettext(message)
        for key, message in _MESSAGES.items()
    }
