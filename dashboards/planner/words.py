"""The planner's own words: ``t(text, lang)`` translates them through the one message
catalogue (``analytics.translation``; English is the message id), and the headings of its
columns. KPI names are worded by the KPI layer's ``Labels``."""

from __future__ import annotations

import json
from typing import NamedTuple

import dash_mantine_components as dmc

from analytics.exports.i18n import Labels
from analytics.translation import gettext, start_side
from dashboards.language import page_language

# the planner's own columns (everything not a KPI of the KPI layer)
COLUMN_WORDS = {
    "calls": "Calls",
    "agent_hours": "Agent-hours",
    "paid_hours": "Paid hours",
    "intervals_green": "Green",
    "intervals_amber": "Amber",
    "intervals_red": "Red",
    "agent_hours_diff": "Δ agent-hours",
    "paid_hours_diff": "Δ paid hours",
    "cost_diff": "Δ cost",
    "rostered_paid_hours": "Rostered paid hours",
    "scenario": "Scenario",
    "status": "Status",
    "agents": "On phones",
    "day": "Day",
}


def t(text: str, lang: str) -> str:
    """The planner's own words in the reader's language: English is the message id, the
    Arabic is in the one catalogue (``analytics.translation``)."""
    return gettext(lang, text)


# a job's kind in words (the kind's name stays in the job's record)
KIND_WORDS = {
    "simulate": "simulation",
    "find_staffing": "finding staffing",
    "backtest": "testing the model",
}


def kind_word(kind: str, lang: str) -> str:
    """A job's kind as the reader says it, capitalised in English."""
    word = t(KIND_WORDS.get(kind, kind), lang)
    return word[:1].upper() + word[1:]  # (Arabic has no capitals)


def lang_of(search: str | None) -> str:
    """The reader's language from the page's query string (``?lang=ar``)."""
    return page_language(search)


def column_label(key: str, lang: str) -> str:
    """A column's or tile's heading: the KPI layer's short label for a KPI name (its
    formula is on the Overview's tiles), the planner's word for its own columns."""
    if key in COLUMN_WORDS:
        return t(COLUMN_WORDS[key], lang)
    return Labels(lang).short(key)


# long labels ("Service level within 12 s", Arabic ones) wrap instead of being cut
WRAPPED_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}


def words_formatter(words: dict[str, str]) -> dict:
    """An AG Grid valueFormatter showing a cell's key in the reader's words: the value
    stays the key (colours and saved scenarios go by it), unknown keys show as they are."""
    return {"function": f"({json.dumps(words, ensure_ascii=False)})[params.value] || params.value"}


def isolated(text: str) -> str:
    """Text that reads left to right (a period, a range of figures, a Latin name) kept so
    inside Arabic (a Unicode left-to-right isolate): "2026-09-20..2026-09-26" and
    "[71.8% – 77.0%]" do not read backwards. Invisible in English."""
    return f"\u2066{text}\u2069"


def ltr_input(input_id: str, label: str, value: str, width: int) -> dmc.TextInput:
    """A field for what is typed left to right in Arabic too: dates, periods and shift
    patterns."""
    return dmc.TextInput(
        id=input_id, label=label, value=value, w=width, styles={"input": {"direction": "ltr"}}
    )


class NumberField(NamedTuple):
    """A number a planner form asks for, declared once for its input and for the callback
    that reads it: the input's id, its label (English, marked ``N_``), the value it starts
    at (and a callback takes for an empty field), its bounds and width in px; ``above``:
    ``low`` itself is refused (the callback takes values above it: the input allows them
    all, from ``low``, and the callback says why ``low`` is not one)."""

    input_id: str
    label: str
    default: float | None
    low: float
    high: float
    width: int
    step: float = 1
    above: bool = False

    def accepts(self, number: float) -> bool:
        """Whether the callback takes ``number`` (within the bounds)."""
        return (self.low < number if self.above else self.low <= number) and number <= self.high

    def bounds_text(self) -> str:
        """The bounds in words for a message: "from 1 to 100", "above 0, up to 3600"."""
        if self.above:
            return f"above {self.low:g}, up to {self.high:g}"
        return f"from {self.low:g} to {self.high:g}"

    def input(self, lang: str) -> dmc.NumberInput:
        return dmc.NumberInput(
            id=self.input_id,
            label=t(self.label, lang),
            value=self.default,
            min=self.low,
            max=self.high,
            step=self.step,
            w=self.width,
        )

    def given(self, value):
        """What the field holds, its default when it is empty."""
        return self.default if value in (None, "") else value


def pin_side(lang: str) -> str:
    """Where a grid's leading columns stay: the reader's start side (right in Arabic)."""
    return start_side(lang)
