"""The what-if levers: volume ×, per caller category too, handling time ×, patience ×,
shrinkage, and the targets a plan is judged by. Percent on screen, ``Levers`` (factors)
for ``simulation.planning.whatif``."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import ALL, State, html

from dashboards.frame import PageContext
from dashboards.planner.words import t
from simulation.planning.whatif import Levers

# the levers as a callback's states, in the order ``levers_of`` takes them
LEVER_STATES = [
    State("planner-volume", "value"),
    State("planner-handling", "value"),
    State("planner-patience", "value"),
    State("planner-shrinkage", "value"),
    State({"type": "planner-cat-volume", "cat": ALL}, "id"),
    State({"type": "planner-cat-volume", "cat": ALL}, "value"),
]


def levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values) -> Levers:
    """The levers as factors (the screen shows percent; a category at 100% is no lever)."""
    by_cat = {
        i["cat"]: float(v) / 100
        for i, v in zip(cat_ids or [], cat_values or [], strict=False)
        if v is not None and float(v) != 100
    }
    return Levers(
        volume=float(volume or 100) / 100,
        volume_by_category=by_cat,
        handling=float(handling or 100) / 100,
        patience=float(patience or 100) / 100,
        shrinkage=float(shrinkage or 0) / 100,
    )


def targets_of(target: str | None, max_abandon) -> tuple[list[str], float | None]:
    """The targets' texts (``sl_offered_12>=0.8``, ...) and the abandon cap as a share."""
    texts = [t.strip() for t in (target or "sl_offered_12>=0.8").split(",") if t.strip()]
    return texts, (float(max_abandon) / 100 if max_abandon not in (None, "") else None)


def lever_input(id_: str | dict, label: str, value, *, low=0, high=None, w=110):
    """A percent lever (volume ×%, handling ×%, ...) in steps of 5."""
    return dmc.NumberInput(id=id_, label=label, value=value, min=low, max=high, step=5, w=w)


def levers_bar(ctx: PageContext, week) -> html.Div:
    """The levers and targets, each at "no change"."""
    lang = ctx.lang
    return html.Div(
        [
            lever_input("planner-volume", t("volume ×%", lang), 100),
            lever_input("planner-handling", t("handling ×%", lang), 100, low=10),
            lever_input("planner-patience", t("patience ×%", lang), 100, low=10),
            lever_input("planner-shrinkage", t("shrinkage %", lang), 0, high=95),
            dmc.TextInput(
                id="planner-target", label=t("targets", lang), value="sl_offered_12>=0.8", w=190
            ),
            dmc.NumberInput(
                id="planner-max-abandon",
                label=t("max abandon %", lang),
                value=None,
                min=0,
                max=100,
                w=120,
            ),
            *[
                lever_input(
                    {"type": "planner-cat-volume", "cat": c},
                    f"{ctx.labels.category(c)} ×%",
                    100,
                    w=130,
                )
                for c in week.categories
            ],
        ],
        className="filter-bar",
    )
