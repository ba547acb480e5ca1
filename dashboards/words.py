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
    "never_loaded": N_("no load recorded"),
    "no_data": N_("No data for this selection."),
    "no_centre": N_("No centre you may see has data yet. Load some with cca ingest or cca demo."),
    "target": N_("Target"),
    "by_category": N_("By caller category"),
    "last_30_days": N_("last 30 days"),
    "calls": N_("Calls"),
    "two_answer_rates": N_("Two answer rates from one log"),
    "two_answer_rates_note": N_(
        "The answer rate counts every caller; the answer rate excluding short abandons leaves out callers who hung up within {s} s. Both are true; the label says which is meant."
    ),
    "formula": N_("How this is computed"),
    "denominator_zero": N_("no calls in the denominator: no value"),
    "volume_over_time": N_("Calls offered over time, by caller category"),
    "kpis_by_category": N_("Every KPI by caller category"),
    "topics_of": N_("Topics of"),
    "pick_category": N_("Pick a caller category to see its topics and intervals"),
    "intervals_of": N_("Intervals of"),
    "heat_offered": N_("Calls offered in each half hour: total of {period}"),
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
    "lockouts": N_("Log-in delays in force"),
    "lock_key": N_("Address / name"),
    "failures": N_("Failures"),
    "until": N_("Until"),
    "unlock": N_("Unlock"),
    "rule_json": N_("Rule (JSON: the keys of its [[rules]] table)"),
    "kind": N_("Kind"),
    "enabled": N_("Enabled"),
    "cooldown": N_("Cool-down (s)"),
    "channels": N_("Channels"),
    "today_to_close": N_(
        "Today to close: the rest of the day simulated from the queue as it stands"
    ),
    "today_at": N_("Projected at {at} from {waiting} waiting and {in_service} in service"),
    "today_close": N_("The day closes at"),
    "today_band": N_("projected (p10–p90)"),
    "today_actual": N_("so far"),
    "today_median": N_("projected median"),
    "today_change": N_("What if (agents from–to, e.g. +2@13:00-17:00)"),
    "today_recompute": N_("Recompute"),
    "today_refreshes": N_("Recomputed every 5 minutes and on demand."),
    "today_suggest": N_("To close at target"),
    # whatif.suggest's finding when it names no change (the pages/intraday.py counts agents)
    "today_suggest_met": N_("no change needed: the day closes at target"),
    "today_suggest_no_interval": N_("no interval left to add agents to"),
    "today_cannot": N_("No projection for the rest of today"),
    # why (simulation.intraday.day.CannotPlan's reason); the command stays in the tooltip
    "today_cannot_no_forecast": N_(
        "Today's calls have not been forecast yet, so the rest of the day cannot be projected. The planning team saves a forecast before the day starts."
    ),
    "today_cannot_no_history": N_(
        "This centre has no calls before today, and the projection learns from the weeks before the day."
    ),
    "today_cannot_closed": N_(
        "The centre is closed at this hour: the rest of the day is projected during opening hours."
    ),
    "today_cannot_no_agents": N_(
        "No agents can be seen answering calls today or in the weeks before, so the staffing to project with is unknown."
    ),
    "today_cannot_change": N_(
        "This what-if is not understood: write the agents and the hours, for example +2@13:00-17:00."
    ),
    "today_cannot_other": N_("The rest of the day cannot be projected."),
    "one_site": N_("All calls of this selection come from one site: {site}."),
    "not_current": N_("Not current."),
    "no_calls_in": N_("No calls in {period} yet."),
    "no_tickets_in": N_("No tickets in {period}."),
    "latest_call_was": N_("The latest call was on {date}."),
    "show_month": N_("Show {month}"),
    "no_match": N_("No calls match these filters in {period}."),
    "widen": N_("Widen the selection: remove a filter."),
    "remove_filter": N_("Remove {filter}: {values}"),
    "vs": N_("vs {period}"),
    "month_to_date": N_(
        "Month to date: each change compares with the same days of the month before and of the same month a year before."
    ),
    "by_month": N_("Month by month, against the targets"),
    "one_month_only": N_("Only one month has calls so far: the trend grows month by month."),
    "past_sla": N_("past the SLA"),
    "open_tickets": N_("Open tickets"),
    "ageing": N_("Open tickets by age, at {at}"),
    "no_open_tickets": N_("No ticket is open."),
    "oldest_open": N_("Oldest open ticket, open for"),
    "state_open": NP_("ticket state", "Open"),
    "state_resolved": NP_("ticket state", "Resolved"),
    "first_response": N_("First response"),
    "ticket_list": N_("Tickets of this selection"),
    "calls_behind": N_("The calls behind these figures"),
    "no_filters": N_("no filter"),
    "arrived": N_("Arrived"),
    "outcome": N_("Outcome"),
    "wait": N_("Wait"),
    "handling": N_("Handling"),
    "agent": N_("Agent"),
    "unit_s": N_("s"),
    "answered_call": NP_("call outcome", "Answered"),
    "abandoned_call": N_("Hung up waiting"),
    "timed_out_call": N_("Timed out"),
    "relative": N_("Relative"),
    "gregorian_months": N_("Months"),
    "hijri_months": N_("Hijri months"),
    "chosen": N_("Chosen"),
    "dates": N_("Dates"),
    "pick_dates": N_("From … to …"),
    "menu": N_("Menu"),
    "filters": N_("Filters"),
    "agents_unit": N_("agents"),
    "centres_side_by_side": N_("Centres side by side"),
    "centres_note": N_(
        "Each figure is coloured against its own centre's target: green meets it, amber misses it narrowly, red misses it."
    ),
}


@functools.cache
def words(lang: str) -> dict[str, str]:
    """The dashboards' words in ``lang`` (``en`` or ``ar``; anything else is English)."""
    tr = translator(lang)
    return {
        key: tr.pgettext(*message) if isinstance(message, tuple) else tr.gettext(message)
        for key, message in _MESSAGES.items()
    }
