"""Highlights: a few sentences an executive reads first, written from the month's figures.

Each sentence states a fact of the report and where it comes from, never an opinion:

* the headline service level against the month before, and what led the change: the
  (caller category, weekday) cell whose change, weighted by its share of this month's
  calls, moved the total most ("fell 4.0 points against August 2024, led by employer
  calls on Sundays");
* the answer rate under both definitions of docs/kpis.md (its worked example: of offered
  calls, and leaving out callers who hung up before S seconds);
* volume against the month before and the same month a year before;
* the busiest day and the busiest slot of the intraday profile;
* tickets: created, resolved, within SLA, still open and at risk;
* which targets were missed (or that all were met).

All numbers are KPI values of the report (``MonthlyReport``), compared or weighted, never
recomputed; sentences are written in English or Arabic from ``i18n.Labels``.
"""

from __future__ import annotations

from analytics.exports.i18n import Labels
from analytics.exports.report import MonthlyReport
from analytics.kpi.catalogue import format_points
from analytics.translation import number, percent

# A change smaller than this (a ratio; 0.001 = 0.1 point) is "held steady".
STEADY = 0.001


def _has_calls(row: dict | None) -> bool:
    return bool(row) and (row.get("offered") or 0) > 0


def sl_driver(report: MonthlyReport) -> tuple[str | None, int, float] | None:
    """(category, ISO weekday, change of its service level) that led the month's change.

    The contribution of a cell is its change of the headline service level against the
    month before times its share of this month's offered calls; the cell with the largest
    contribution in the direction of the total change leads it. None without a change
    or without comparable cells.
    """
    name = report.headline_sl
    now, before = report.calls, report.calls_previous
    if not (_has_calls(now) and _has_calls(before)):
        return None
    if now[name] is None or before[name] is None:
        return None
    total_change = now[name] - before[name]
    if abs(total_change) < STEADY:
        return None
    previous = {(r["category"], r["weekday"]): r for r in report.weekday_by_category_previous}
    best, best_contribution = None, 0.0
    for row in report.weekday_by_category:
        old = previous.get((row["category"], row["weekday"]))
        if old is None or row[name] is None or old[name] is None:
            continue
        change = row[name] - old[name]
        contribution = change * row["offered"] / now["offered"]
        if contribution * total_change > 0 and abs(contribution) > abs(best_contribution):
            best, best_contribution = (row["category"], row["weekday"], change), contribution
    return best


def _sl_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    name = report.headline_sl
    t = report.first_threshold
    now, before = report.calls, report.calls_previous
    if not _has_calls(now) or now[name] is None:
        return None
    tr = labels.tr
    target = report.target(name)
    value = labels.value(name, now[name])
    if not (_has_calls(before) and before[name] is not None and report.previous):
        if target:
            return tr.gettext(
                "Service level within {t} s was {value} against a target of {target}.",
                t=t,
                value=value,
                target=labels.value(name, target.value),
            )
        return tr.gettext("Service level within {t} s was {value}.", t=t, value=value)
    change = now[name] - before[name]
    fields = {
        "t": t,
        "value": value,
        "month": labels.period_name(report.previous),
        "old": labels.value(name, before[name]),
        "points": number(abs(change) * 100, labels.lang, 1),
    }
    if abs(change) < STEADY:
        text = tr.gettext(
            "Service level within {t} s held steady at {value} against {month}", **fields
        )
    elif change > 0:
        text = tr.gettext(
            "Service level within {t} s rose {points} points against {month} ({old} → {value})",
            **fields,
        )
    else:
        text = tr.gettext(
            "Service level within {t} s fell {points} points against {month} ({old} → {value})",
            **fields,
        )
    if driver := sl_driver(report):
        category, weekday, cell = driver
        text += tr.gettext(
            ", led by {calls} on {weekdays} ({points} points)",
            calls=labels.category_calls(category),
            weekdays=labels.weekdays(weekday),
            points=format_points(cell),
        )
    if target:
        text += tr.gettext("; the target is {target}", target=labels.value(name, target.value))
    return text + "."


def _answer_rate_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    now = report.calls
    if not _has_calls(now):
        return None
    return labels.tr.gettext(
        "Of {offered} calls offered, {answered} were answered: an answer rate of {rate}, "
        "or {excl} leaving out the {short} callers who hung up before {s} s.",
        offered=number(now["offered"], labels.lang),
        answered=number(now["answered"], labels.lang),
        short=number(now["short_abandoned"], labels.lang),
        rate=labels.value("answer_rate", now["answer_rate"]),
        excl=labels.value("answer_rate_excl_short", now["answer_rate_excl_short"]),
        s=f"{report.short_abandon_s:g}",
    )


def _volume_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    now = report.calls
    if not _has_calls(now):
        return None
    tr, lang = labels.tr, labels.lang
    clauses = []
    for other, period in (
        (report.calls_previous, report.previous),
        (report.calls_year_before, report.year_before),
    ):
        if not (_has_calls(other) and period):
            continue
        change = now["offered"] / other["offered"] - 1
        fields = {
            "month": labels.period_name(period),
            "pct": percent(abs(change), lang, 1),
            "before": number(other["offered"], lang),
        }
        if change > 0:
            clauses.append(tr.gettext("rose {pct} against {month} ({before})", **fields))
        elif change < 0:
            clauses.append(tr.gettext("fell {pct} against {month} ({before})", **fields))
        else:
            clauses.append(tr.gettext("were unchanged against {month} ({before})", **fields))
    if not clauses:
        return None
    return tr.gettext(
        "Calls offered ({offered}) {clauses}.",
        offered=number(now["offered"], lang),
        clauses=tr.gettext(" and ").join(clauses),
    )


def _peak_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    days = [r for r in report.daily if r["offered"]]
    if not days:
        return None
    tr, lang = labels.tr, labels.lang
    busiest = max(days, key=lambda r: (r["offered"], -r["interval_start"].toordinal()))
    text = tr.gettext(
        "The busiest day was {day} with {calls} calls (service level {sl})",
        day=labels.date(busiest["interval_start"].date()),
        calls=number(busiest["offered"], lang),
        sl=labels.value(report.headline_sl, busiest[report.headline_sl]),
    )
    slots = [r for r in report.intraday if r["offered"]]
    if slots:
        peak = max(slots, key=lambda r: r["offered"])
        minutes = int(report.intraday_interval.removesuffix("min"))
        text += tr.gettext(
            "; the busiest {minutes} minutes of the day were {start}–{end}, "
            "with {calls} calls over the period",
            minutes=minutes,
            start=peak["slot"],
            end=_slot_end(peak["slot"], minutes),
            calls=number(peak["offered"], lang),
        )
    return text + "."


def _slot_end(slot: str, minutes: int) -> str:
    hours, mins = (int(x) for x in slot.split(":"))
    total = (hours * 60 + mins + minutes) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


def _tickets_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    t = report.tickets
    if not (t["created"] or t["resolved"] or t["backlog"]):
        return None
    tr, lang = labels.tr, labels.lang
    met = t["sla_met_rate"]
    target = report.target("sla_met_rate")
    text = tr.gettext(
        "{created} e-support tickets were created and {resolved} resolved",
        created=number(t["created"], lang),
        resolved=number(t["resolved"], lang),
    )
    if met is not None:
        text += tr.gettext(
            "; {met} met the {sla}-working-day SLA",
            met=labels.value("sla_met_rate", met),
            sla=f"{report.centre.ticket_sla_wd:g}",
        )
        if target:
            text += tr.gettext(
                " (target {target})", target=labels.value("sla_met_rate", target.value)
            )
    text += tr.gettext(
        "; {backlog} remain open, {at_risk} of them due within the next working day",
        backlog=number(t["backlog"], lang),
        at_risk=number(t["at_risk"], lang),
    )
    return text + "."


def target_misses(report: MonthlyReport) -> list[tuple[str, float, object]]:
    """(KPI name, value, Target) of every target the month missed."""
    values = {**report.calls, **report.tickets}
    misses = []
    for target in report.targets:
        value = values.get(target.kpi)
        if target.status(value) in (0, -1):
            misses.append((target.kpi, value, target))
    return misses


def _targets_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    if not _has_calls(report.calls):
        return None
    tr = labels.tr
    misses = target_misses(report)
    if not misses:
        return tr.gettext("All targets were met.")
    parts = []
    for name, value, target in misses:
        fields = {
            "kpi": labels.kpi(name).lower(),
            "value": labels.value(name, value),
            "goal": labels.value(name, target.value),
        }
        if target.at_least:
            parts.append(tr.gettext("{kpi} {value} (target at least {goal})", **fields))
        else:
            parts.append(tr.gettext("{kpi} {value} (target at most {goal})", **fields))
    return tr.gettext("Below target: {misses}.", misses=tr.gettext("; ").join(parts))


def highlights(report: MonthlyReport, labels: Labels) -> list[str]:
    """The report's highlights as sentences in ``labels``' language (may be empty)."""
    sentences = [
        _sl_sentence(report, labels),
        _answer_rate_sentence(report, labels),
        _volume_sentence(report, labels),
        _peak_sentence(report, labels),
        _tickets_sentence(report, labels),
        _targets_sentence(report, labels),
    ]
    return [s for s in sentences if s]
