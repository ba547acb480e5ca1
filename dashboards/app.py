"""``create_app(store, settings)``: the Dash app a contact-centre manager opens every morning.

The app is a Flask server with Dash pages under ``dashboards/pages/`` (one module a user
task, ``register_page`` at import). Pages are imported here, after the Dash object
exists (Dash requires it), and each page's callbacks are registered on this app with
``register_callbacks(app)``, so several apps can live in one process (the tests make
one per store). Everything is served by the app itself — Dash's bundles, the Mantine
components, the Arabic font — so it runs without the internet.

The HTML page carries ``<html lang dir>`` from the URL's ``lang`` (``ar`` gives
``dir="rtl"``); Mantine's DirectionProvider reads it when it mounts.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import json
import pkgutil
from pathlib import Path

import dash
import dash_mantine_components as dmc
import flask
import plotly.io.json
from dash import Dash, Input, Output, dcc
from werkzeug.middleware.proxy_fix import ProxyFix

from analytics.appstate import AppState
from analytics.store import Store
from analytics.translation import DEFAULT, LANGUAGES, RTL_LANGUAGES, direction
from dashboards import auth, headers, pages
from dashboards.context import AppContext, Settings
from dashboards.language import page_language

HERE = Path(__file__).parent


def page_modules() -> list[str]:
    """Every module under ``dashboards/pages/``: adding a page is adding its file (its
    ``register_page`` declares path, order, menu label and roles)."""
    return [
        f"{pages.__name__}.{m.name}"
        for m in pkgutil.iter_modules(pages.__path__)
        if not m.name.startswith("_")
    ]


THEME = {
    "fontFamily": "IBM Plex Sans Arabic, Inter, system-ui, sans-serif",
    "primaryColor": "indigo",
    "defaultRadius": "md",
    "headings": {"fontFamily": "IBM Plex Sans Arabic, Inter, system-ui, sans-serif"},
}


# The chart chunks Mantine loads only when a page's content first shows a chart (the
# Overview's trend): fetched with the page instead, not one round trip after
# its content arrived (a first Overview load waited some 80-100 ms for them).
_PRELOADED_CHUNKS = ("dash_mantine_components-charts-shared.js", "async-LineChart.js")


class _DashboardsDash(Dash):
    def interpolate_index(self, **kwargs):
        page = super().interpolate_index(**kwargs)
        lang = page_language() if flask.has_request_context() else DEFAULT
        prefix = self.config.requests_pathname_prefix
        links = "".join(
            f'<link rel="preload" as="script" '
            f'href="{prefix}_dash-component-suites/dash_mantine_components/{name}">'
            for name in _PRELOADED_CHUNKS
        )
        page = page.replace("</head>", links + "</head>", 1)
        return page.replace("<html>", f'<html lang="{lang}" dir="{direction(lang)}">', 1)


def _shell():
    return dmc.DirectionProvider(
        dmc.MantineProvider(
            [dcc.Location(id="url", refresh="callback-nav"), dash.page_container],
            theme=THEME,
            forceColorScheme="light",
        ),
        id="direction",
    )


def create_app(store: Store | str | Path | None = None, settings: Settings | None = None) -> Dash:
    """The dashboards over ``store`` (a ``Store`` or a path; default ``CCA_DB``)."""
    # Dash writes every answer with plotly's JSON writer, which picks orjson when it is
    # installed; before orjson, plotly walks the whole answer in Python to make it
    # orjson's (clean_to_json_compatible), and that walk cost more than the standard
    # library's encoder: the Overview of 10M calls 18 ms against 10, the Categories
    # page's 14 against 4 (same answers). A process-wide setting of plotly's.
    plotly.io.json.config.default_engine = "json"
    store = store if isinstance(store, Store) else Store(store)
    settings = settings or Settings()
    state = AppState(settings.app_state) if settings.app_state else AppState.beside(store.path)
    state.migrate()

    app = _DashboardsDash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(HERE / "assets"),
        suppress_callback_exceptions=True,
        title="Contact-centre analytics",
        update_title=None,
        serve_locally=True,
        assets_ignore=r"login\.css",  # the log-in page's own sheet, not the app's
    )
    server = app.server
    if settings.trusted_proxies:  # the client's address, not the proxy's, for delays and audit
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    server.secret_key = auth.secret_key(settings.secret_key)
    from simulation.operations.jobs import JobRunner

    work = settings.work_dir or store.path.with_name(store.path.stem + ".jobs")
    jobs = JobRunner(state, work, max_jobs=2)
    server.config["CCA"] = AppContext(store, state, settings, jobs)
    server.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024
    auth.install(
        server,
        state,
        secure_cookies=settings.secure_cookies,
        idle=dt.timedelta(minutes=settings.idle_minutes),
    )

    from dashboards import alerts_banner, frame

    frame.register_callbacks(app)
    alerts_banner.register_callbacks(app)
    for name in page_modules():
        module = importlib.import_module(name)
        if hasattr(module, "register_callbacks"):
            module.register_callbacks(app)
        if hasattr(module, "register_routes"):
            module.register_routes(server)
    # Mantine's components follow the direction of the URL's language.
    app.clientside_callback(
        # the browser's side of context.page_language (the same languages, from the URL)
        f"""function(search) {{
            const asked = new URLSearchParams(search || "").get("lang");
            const lang = {json.dumps(LANGUAGES)}.includes(asked) ? asked : "{DEFAULT}";
            const dir = {json.dumps(RTL_LANGUAGES)}.includes(lang) ? "rtl" : "ltr";
            document.documentElement.setAttribute("dir", dir);
            document.documentElement.setAttribute("lang", lang);
            return dir;
        }}""",
        Output("direction", "direction"),
        Input("url", "search"),
    )
    app.layout = _shell
    headers.install(app, secure=settings.secure_cookies)
    return app


def freeze_startup_objects() -> None:
    """Move every object made so far (modules, the app, its layouts and registries:
    they live as long as the server) out of the garbage collector's reach
    (``gc.freeze``), so that a full collection walks only what requests made since.

    Why: a full collection during a request walked them all. Measured on the Overview
    of 10M calls after other processes' commits: 3 requests in 16 took a 105-125 ms
    pause, the slowest requests of the run; frozen, the longest pause was 6 ms.
    ``cca serve`` calls this once the app is built.
    """
    gc.collect()
    gc.freeze()
