"""``/planner``: (being built)."""

from __future__ import annotations

import dash
from dash import html

from dashboards.frame import PageContext, page

PATH = "/planner"


def build(ctx: PageContext):
    return html.Div(ctx.w["planner"])


def layout(**query):
    return page(PATH, query, build)


dash.register_page(__name__, path=PATH, name="planner", layout=layout)
