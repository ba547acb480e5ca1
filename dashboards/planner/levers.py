"""The what-if levers: volume ×, per caller category too, handling time ×, patience ×,
shrinkage, each starting at "no change"; and the targets a plan is judged by, as a form
(which service level, within how many seconds, at least what share; the most abandons).
Percent on screen, ``Levers`` (factors) and target texts for ``simulation.planning.whatif``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import dash_mantine_components as dmc
from dash import ALL, State, html

from analytics.translation import N_
from dashboards.frame import PageContext
from dashboards.planner.words import NumberField, t
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


# What one planner may ask of the server: answered at once with a message, not minutes.
MAX_PERCENT = 1_000.0  # a lever: volume, handling or patience × up to 10
MAX_AGENTS = 5_000  # in one interval of a plan
MAX_CATEGORIES = 50


def percent(value, name: str, default: float, high: float = MAX_PERCENT) -> float:
    """A lever's percentage as a fraction, within 0..``high`` (ValueError otherwise)."""
    try:
        number = float(default if value in (None, "") else value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {str(value)[:20]!r} is not a number") from None
    if not 0 <= number <= high:
        raise ValueError(f"{name}: {number:g}% is not between 0 and {high:g}%")
    return number / 100


def levers_of(volume, handling, patience, shrinkage, cat_ids, cat_values) -> Levers:
    """The levers as factors (the screen shows percent; a category at 100% is no lever)."""
    by_cat = {}
    for i, v in zip((cat_ids or [])[:MAX_CATEGORIES], cat_values or [], strict=False):
        if v is not None and float(v) != 100:
            by_cat[str(i["cat"])[:100]] = percent(v, f"volume of {i['cat']}", 100)
    return Levers(
        volume=percent(volume, "volume", 100),
        volume_by_category=by_cat,
        handling=percent(handling, "handling", 100),
        patience=percent(patience, "patience", 100),
        shrinkage=percent(shrinkage, "shrinkage", 0, high=95),
    )


def checked_plan(plan, week) -> list[int]:
    """The client's plan as agents per interval of ``week``: as many as it has intervals,
    each a whole number 0..``MAX_AGENTS`` (ValueError otherwise)."""
    if not isinstance(plan, list) or len(plan) != len(week.agents):
        raise ValueError(f"a plan has one number per interval of the week ({len(week.agents)})")
    try:
        agents = [int(a) for a in plan]
    except (TypeError, ValueError):
        raise ValueError("a plan's agents are whole numbers") from None
    if any(not 0 <= a <= MAX_AGENTS for a in agents):
        raise ValueError(f"agents per interval: between 0 and {MAX_AGENTS:,}")
    return agents


# the service-level families a target can name, in the words of the form
TARGET_KPIS = {
    "sl_offered": "of offered calls",
    "sl_answered": "of answered calls",
    "sl_with_abandons": "incl. abandons within the time",
    "sl_excl_short": "excl. short abandons",
}
# above 0: a threshold of 0.5 s or a share of 0.5% is a target the server takes
TARGET_SECONDS = NumberField(
    "planner-target-seconds", N_("answered within (s)"), 12, 0, 3600, 130, step=0.5, above=True
)
TARGET_SHARE = NumberField(
    "planner-target-share", N_("at least %"), 80, 0, 100, 110, step=5, above=True
)
MAX_ABANDON = NumberField("planner-max-abandon", N_("max abandon %"), None, 0, 100, 120)
# the form's inputs, in the order ``targets_of`` takes them (the abandon cap last)
TARGET_IDS = ("planner-target-kpi", TARGET_SECONDS.input_id, TARGET_SHARE.input_id)
TARGET_STATES = [State(i, "value") for i in (*TARGET_IDS, MAX_ABANDON.input_id)]


def targets_of(kpi, seconds, share, max_abandon) -> tuple[list[str], float | None]:
    """The form's target as text for ``simulation.planning.whatif`` (``sl_offered_12>=0.8``
    for "of offered calls, answered within 12 s, at least 80%") and the abandon cap as a
    share. ValueError in plain words for a value out of range."""
    kpi = kpi if kpi in TARGET_KPIS else "sl_offered"
    seconds, share = float(TARGET_SECONDS.given(seconds)), float(TARGET_SHARE.given(share))
    if not TARGET_SECONDS.accepts(seconds):
        raise ValueError(
            f"answered within {seconds:g} s: give a number of seconds "
            + TARGET_SECONDS.bounds_text()
        )
    if not TARGET_SHARE.accepts(share):
        raise ValueError(f"at least {share:g}%: give a percentage {TARGET_SHARE.bounds_text()}")
    texts = [f"{kpi}_{seconds:g}>={share / 100:g}"]
    cap = MAX_ABANDON.given(max_abandon)
    return texts, (float(cap) / 100 if cap is not None else None)


class Form(NamedTuple):
    """The planner's form as the server reads it."""

    plan: list[int]  # agents per interval of the week
    levers: Levers
    targets: list[str]  # ``targets_of``'s texts
    max_abandon: float | None  # a share, or no cap


def read_form(week, plan, lever_values: Sequence, target_values: Sequence) -> Form:
    """The plan checked against ``week``, the levers (``LEVER_STATES``' values) and the
    targets (``TARGET_STATES``'): what every callback that judges a plan starts from.
    ValueError in plain words for the first value out of range."""
    return Form(checked_plan(plan, week), levers_of(*lever_values), *targets_of(*target_values))


def levers_data(levers: Levers) -> dict:
    """The levers as JSON (a saved what-if, the basis of a job)."""
    return {
        "volume": levers.volume,
        "volume_by_category": dict(levers.volume_by_category),
        "handling": levers.handling,
        "patience": levers.patience,
        "shrinkage": levers.shrinkage,
    }


def basis_of(plan, levers: Levers) -> dict:
    """What a simulation or a found plan was computed for: the plan and the levers. The
    page shows a result as current only while the plan and levers on screen are these."""
    return {"plan": [int(a) for a in plan], "levers": levers_data(levers)}


def lever_input(id_: str | dict, label: str, value, *, low=0, high=None, w=110):
    """A percent lever (volume ×%, handling ×%, ...) in steps of 5."""
    return dmc.NumberInput(id=id_, label=label, value=value, min=low, max=high, step=5, w=w)


def levers_bar(ctx: PageContext, week) -> html.Div:
    """The levers, each at "no change"."""
    lang = ctx.lang
    return html.Div(
        [
            lever_input("planner-volume", t("volume ×%", lang), 100),
            lever_input("planner-handling", t("handling ×%", lang), 100, low=10),
            lever_input("planner-patience", t("patience ×%", lang), 100, low=10),
            lever_input("planner-shrinkage", t("shrinkage %", lang), 0, high=95),
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


def targets_bar(ctx: PageContext) -> html.Div:
    """The targets as a form: which service level, answered within how many seconds, at
    least what share; and the most abandons allowed. The KPI's name is the tooltip."""
    lang = ctx.lang
    kpis = [{"value": k, "label": t(v, lang)} for k, v in TARGET_KPIS.items()]
    return html.Div(
        [
            dmc.Select(
                id="planner-target-kpi",
                label=t("service level", lang),
                data=kpis,
                value="sl_offered",
                allowDeselect=False,
                w=230,
            ),
            TARGET_SECONDS.input(lang),
            TARGET_SHARE.input(lang),
            MAX_ABANDON.input(lang),
        ],
        className="filter-bar",
        title=t("Service-level target: the share of calls answered within the time", lang),
        id="planner-targets",
    )
