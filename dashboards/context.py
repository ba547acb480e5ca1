"""What a page is asked to show: the app's stores and the view in the URL.

State lives in the URL query so a view can be bookmarked and shared:
``?centre=ID&period=P&lang=en|ar`` plus filters ``category``, ``topic``, ``channel``,
``site``, ``queue`` (several values comma-separated). ``period`` takes everything
``cca kpi --period`` takes and the relative names (``today``, ``this-month``, ...),
resolved in the centre's own time zone. Without a period a page shows the month of the
centre's latest call, so a centre whose data stop last month still opens on figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import flask

from analytics import freshness, snapshot_cache
from analytics.appstate import AppState
from analytics.centres import Centre, get_centre, list_centres
from analytics.periods import Period, parse_period
from analytics.store import Store, StoreError
from analytics.translation import DEFAULT
from dashboards.auth import Forbidden, current_user
from dashboards.language import page_language

CALL_FILTERS = ("category", "topic", "channel", "site", "queue")
# What one request may ask (a clear message instead of minutes of work and a huge answer).
MAX_PERIOD_DAYS = 3 * 366  # three years
MAX_FILTER_VALUES = 200  # codes in one filter
MAX_CODE_CHARS = 100  # one code's length
TICKET_FILTERS = ("category", "topic", "channel", "site")


@dataclass(frozen=True)
class Settings:
    """How the app runs. ``today`` pins the local date (tests and demos); otherwise it is
            today in each centre's zone. ``refresh_hours``: a load older than this is stale
            (seed 000's database is refreshed every 24 hours). ``idle_minutes``: a session not used
        for this long ends. ``trusted_proxies``: how many reverse proxies (TLS) stand in front;
    their ``X-Forwarded-For``/``-Proto`` give the client's address (log-in delays, audit)."""

    app_state: Path | None = None
    secret_key: str | None = None
    secure_cookies: bool = False
    today: dt.date | None = None
    refresh_hours: float = 24.0
    work_dir: Path | None = None
    wallboard_refresh_s: float = 30.0
    idle_minutes: float = 30.0  # a session unused this long ends (shared contact-centre PCs)
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For is believed


@dataclass(frozen=True)
class AppContext:
    store: Store
    state: AppState
    settings: Settings
    jobs: object = None  # simulation.operations.jobs.JobRunner: the planner's background jobs
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def today(self, centre: Centre) -> dt.date:
        return self.settings.today or dt.datetime.now(centre.tz).date()

    def memo(self, key: tuple, compute):
        """``compute()`` once per version of the analytics store: every published write
        is a new snapshot, which starts a new version (another process's or host's too).
        For slow answers that only a load can change, such as the codes a filter offers."""
        try:
            version = self.store.version()
        except StoreError:
            return compute()
        if self._memo.get("version") != version:
            self._memo.clear()
            self._memo["version"] = version
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def app_context() -> AppContext:
    """The running app's stores (kept in the Flask config by ``create_app``)."""
    return flask.current_app.config["CCA"]


@dataclass(frozen=True)
class View:
    """One page's view: the centre, period and filters it shows, in which language."""

    centre_id: str | None
    period_text: str | None
    lang: str = "en"
    filters: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: dict) -> View:
        lang = page_language(query)
        filters = {}
        for name in CALL_FILTERS:
            raw = query.get(name)
            if raw:
                values = [v for v in str(raw).split(",") if v]
                if values:
                    filters[name] = values
        return cls(query.get("centre") or None, query.get("period") or None, lang, filters)

    def query(self, **changes) -> str:
        """The query string of this view with ``changes`` (None removes a key)."""
        params: dict[str, str] = {}
        if self.centre_id:
            params["centre"] = self.centre_id
        if self.period_text:
            params["period"] = self.period_text
        for name, values in self.filters.items():
            params[name] = ",".join(values)
        if self.lang != DEFAULT:
            params["lang"] = self.lang
        for key, value in changes.items():
            if value in (None, "", []):
                params.pop(key, None)
            else:
                params[key] = ",".join(value) if isinstance(value, list) else str(value)
        return "?" + urlencode(params) if params else ""

    def with_(self, **changes) -> View:
        return replace(self, **changes)

    def ticket_filters(self) -> dict[str, list[str]]:
        return {k: v for k, v in self.filters.items() if k in TICKET_FILTERS}


def centre_ids_with_data(con) -> set[str]:
    """Centres that have calls, tickets or a live feed: one read of each table, kept per
    snapshot and carried past commits that left it alone (a live feed's commit does not
    touch the tickets, a load not the feeds)."""

    def ids(name: str, sql: str) -> frozenset[str]:
        return snapshot_cache.read(
            con,
            ("centres with", name),
            lambda: frozenset(r[0] for r in con.execute(sql).fetchall()),
            tables=(name,),
        )

    # the rollup's deltas of a centre sum to its calls; a live feed's first minutes
    return set(
        ids(
            "call_interval_deltas",
            "SELECT centre_id FROM call_interval_deltas GROUP BY centre_id HAVING sum(n) <> 0",
        )
        | ids("tickets", "SELECT DISTINCT centre_id FROM tickets")
        | ids("live_feed_health", "SELECT DISTINCT centre_id FROM live_feed_health")
    )


def visible_centres(con, user) -> list[Centre]:
    """The centres the user may see that have calls or tickets, by id."""
    ids = centre_ids_with_data(con)
    return [c for c in list_centres(con) if c.centre_id in ids and user.may_see(c.centre_id)]


def call_span(con, centre: Centre) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and the last call's arrival (local), once per snapshot of the store."""
    span = freshness.call_span(con, centre)
    return None if span is None else (span[0].astimezone(centre.tz), span[1].astimezone(centre.tz))


def latest_call_day(con, centre: Centre) -> dt.date | None:
    span = call_span(con, centre)
    return span[1].date() if span else None


def centre_for(requested: str | None, user=None) -> str:
    """The centre a callback, a download or a job works on: ``requested`` (whatever the
    client sent: a store's data, a URL, a filter) if the signed-in user may see it, else
    ``Forbidden``. The one server-side rule behind every callback; pages use it through
    ``resolve``, which opens the user's first centre instead of refusing."""
    user = user if user is not None else current_user()
    if user is None:
        raise Forbidden("log in first")
    if not isinstance(requested, str) or not requested or not user.may_see(requested):
        raise Forbidden("you may not see this centre")
    return requested


def checked_period(text: str, today: dt.date) -> Period:
    """``parse_period`` within what a page may show: at most ``MAX_PERIOD_DAYS``, in
    years 1900-2200 (ValueError otherwise, with a message a user can act on)."""
    if len(text) > 64:
        raise ValueError(f"period {text[:24]!r}…: too long to be a period")
    period = parse_period(text, today)
    if period.days > MAX_PERIOD_DAYS:
        raise ValueError(
            f"period {period.label}: {period.days:,} days; a page shows at most "
            f"{MAX_PERIOD_DAYS:,} (three years)"
        )
    if period.start.year < 1900 or period.end.year > 2200:
        raise ValueError(f"period {period.label}: give dates between 1900 and 2200")
    return period


def check_filters(filters: dict[str, list[str]]) -> None:
    """At most ``MAX_FILTER_VALUES`` codes per filter, each at most ``MAX_CODE_CHARS``."""
    for name, values in filters.items():
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(
                f"{name}: {len(values):,} values; a filter takes at most {MAX_FILTER_VALUES}"
            )
        if any(len(v) > MAX_CODE_CHARS for v in values):
            raise ValueError(f"{name}: a value longer than {MAX_CODE_CHARS} characters")


def resolve(con, view: View, user, today_of) -> tuple[Centre | None, Period | None, View]:
    """The centre and period a view names (defaults filled in), and the view with them.

    ``today_of(centre)`` gives the centre's local date. Raises ``ValueError`` for a
    period that cannot be read; a centre the user may not see is replaced by the first
    they may."""
    check_filters(view.filters)
    centres = visible_centres(con, user)
    if not centres:
        return None, None, view
    chosen = next((c for c in centres if c.centre_id == view.centre_id), centres[0])
    centre = get_centre(con, centre_for(chosen.centre_id, user))
    if view.period_text:
        period = checked_period(view.period_text, today_of(centre))
    else:
        day = latest_call_day(con, centre) or today_of(centre)
        period = parse_period(f"{day.year:04d}-{day.month:02d}")
    return centre, period, view.with_(centre_id=centre.centre_id, period_text=period.label)
