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
    target = report.target(name)
    value = labels.value(name, now[name])
    if not (_has_calls(before) and before[name] is not None and report.previous):
        if labels.lang == "en":
            text = f"Service level within {t} s was {value}"
            return text + (
                f" against a target of {labels.value(name, target.value)}." if target else "."
            )
        text = f"بلغ مستوى الخدمة خلال {t} ث {value}"
        return text + (f" مقابل مستهدف {labels.value(name, target.value)}." if target else ".")
    change = now[name] - before[name]
    month = labels.period_name(report.previous)
    old = labels.value(name, before[name])
    points = f"{abs(change) * 100:.1f}"
    driver = sl_driver(report)
    if labels.lang == "en":
        if abs(change) < STEADY:
            text = f"Service level within {t} s held steady at {value} against {month}"
        else:
            verb = "rose" if change > 0 else "fell"
            text = f"Service level within {t} s {verb} {points} points against {month} ({old} → {value})"
        if driver:
            category, weekday, cell = driver
            text += (
                f", led by {labels.category_calls(category)} on {labels.weekdays(weekday)}"
                f" ({format_points(cell)} points)"
            )
        if target:
            text += f"; the target is {labels.value(name, target.value)}"
        return text + "."
    if abs(change) < STEADY:
        text = f"استقر مستوى الخدمة خلال {t} ث عند {value} مقارنة بشهر {month}"
    else:
        verb = "ارتفع" if change > 0 else "انخفض"
        text = f"{verb} مستوى الخدمة خلال {t} ث بمقدار {points} نقطة مقارنة بشهر {month} (من {old} إلى {value})"
    if driver:
        category, weekday, cell = driver
        text += (
            f"، وكان الأثر الأكبر في {labels.category_calls(category)} {labels.weekdays(weekday)}"
            f" ({format_points(cell)} نقطة)"
        )
    if target:
        text += f"؛ والمستهدف {labels.value(name, target.value)}"
    return text + "."


def _answer_rate_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    now = report.calls
    if not _has_calls(now):
        return None
    offered, answered, short = now["offered"], now["answered"], now["short_abandoned"]
    rate = labels.value("answer_rate", now["answer_rate"])
    excl = labels.value("answer_rate_excl_short", now["answer_rate_excl_short"])
    s = f"{report.short_abandon_s:g}"
    if labels.lang == "en":
        return (
            f"Of {offered:,} calls offered, {answered:,} were answered: an answer rate of "
            f"{rate}, or {excl} leaving out the {short:,} callers who hung up before {s} s."
        )
    return (
        f"من أصل {offered:,} مكالمة واردة أُجيب على {answered:,}: نسبة رد {rate}، "
        f"أو {excl} عند استبعاد {short:,} متصلًا أنهوا الانتظار قبل {s} ث."
    )


def _volume_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    now = report.calls
    if not _has_calls(now):
        return None
    clauses = []
    for other, period in (
        (report.calls_previous, report.previous),
        (report.calls_year_before, report.year_before),
    ):
        if not (_has_calls(other) and period):
            continue
        change = now["offered"] / other["offered"] - 1
        month = labels.period_name(period)
        pct = f"{abs(change) * 100:.1f}%"
        if labels.lang == "en":
            verb = "rose" if change > 0 else ("fell" if change < 0 else "were unchanged")
            amount = "" if change == 0 else f" {pct}"
            clauses.append(f"{verb}{amount} against {month} ({other['offered']:,})")
        else:
            verb = "ارتفعت" if change > 0 else ("انخفضت" if change < 0 else "لم تتغير")
            amount = "" if change == 0 else f" {pct}"
            clauses.append(f"{verb}{amount} مقارنة بشهر {month} ({other['offered']:,})")
    if not clauses:
        return None
    if labels.lang == "en":
        return f"Calls offered ({now['offered']:,}) " + " and ".join(clauses) + "."
    return f"المكالمات الواردة ({now['offered']:,}) " + " و".join(clauses) + "."


def _peak_sentence(report: MonthlyReport, labels: Labels) -> str | None:
    days = [r for r in report.daily if r["offered"]]
    if not days:
        return None
    busiest = max(days, key=lambda r: (r["offered"], -r["interval_start"].toordinal()))
    day = labels.date(busiest["interval_start"].date())
    sl = labels.value(report.headline_sl, busiest[report.headline_sl])
    slots = [r for r in report.intraday if r["offered"]]
    peak = max(slots, key=lambda r: r["offered"]) if slots else None
    minutes = int(report.intraday_interval.removesuffix("min"))
    if labels.lang == "en":
        text = f"The busiest day was {day} with {busiest['offered']:,} calls (service level {sl})"
        if peak:
            end = _slot_end(peak["slot"], minutes)
            text += (
                f"; the busiest {minutes} minutes of the day were {peak['slot']}–{end}, "
                f"with {peak['offered']:,} calls over the period"
            )
        return text + "."
    text = f"كان أكثر الأيام ازدحامًا {day} بعدد {busiest['offered']:,} مكالمة (مستوى الخدمة {sl})"
    if peak:
        end = _slot_end(peak["slot"], minutes)
        text += (
            f"؛ وأكثر {minutes} دقيقة ازدحامًا في اليوم {peak['slot']}–{end}"
            f" بعدد {peak['offered']:,} مكالمة خلال الفترة"
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
    sla = f"{report.centre.ticket_sla_wd:g}"
    met = t["sla_met_rate"]
    target = report.target("sla_met_rate")
    if labels.lang == "en":
        text = f"{t['created']:,} e-support tickets were created and {t['resolved']:,} resolved"
        if met is not None:
            text += f"; {labels.value('sla_met_rate', met)} met the {sla}-working-day SLA"
            if target:
                text += f" (target {labels.value('sla_met_rate', target.value)})"
        text += f"; {t['backlog']:,} remain open, {t['at_risk']:,} of them due within the next working day"
        return text + "."
    text = f"أُنشئت {t['created']:,} تذكرة دعم إلكتروني وحُلَّت {t['resolved']:,}"
    if met is not None:
        text += f"؛ والتزمت {labels.value('sla_met_rate', met)} منها بمهلة {sla} أيام عمل"
        if target:
            text += f" (المستهدف {labels.value('sla_met_rate', target.value)})"
    text += (
        f"؛ وبقيت {t['backlog']:,} مفتوحة، يحين موعد {t['at_risk']:,} منها خلال يوم العمل التالي"
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
    misses = target_misses(report)
    if not misses:
        return "All targets were met." if labels.lang == "en" else "تحققت جميع المستهدفات."
    parts = []
    for name, value, target in misses:
        bound = (
            ("at least" if target.at_least else "at most")
            if labels.lang == "en"
            else ("لا يقل عن" if target.at_least else "لا يزيد على")
        )
        goal = labels.value(name, target.value)
        if labels.lang == "en":
            parts.append(
                f"{labels.kpi(name).lower()} {labels.value(name, value)} (target {bound} {goal})"
            )
        else:
            parts.append(
                f"{labels.kpi(name)} {labels.value(name, value)} (المستهدف {bound} {goal})"
            )
    if labels.lang == "en":
        return "Below target: " + "; ".join(parts) + "."
    return "دون المستهدف: " + "؛ ".join(parts) + "."


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
