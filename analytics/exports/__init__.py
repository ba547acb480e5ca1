"""Monthly KPI exports for executives: Excel, PDF and CSV, English or Arabic.

An executive reads the month in two minutes and must be able to trust every number, so
an export is only a layout of the KPI layer's figures (``report.build_report`` asks
``analytics.kpi`` for all of them) in one of three editions:

* ``.xlsx`` (``xlsx``): summary against targets, previous month and a year before, with
  traffic lights; sheets by caller category, topic, day, time of day, tickets; native
  charts; a definitions sheet. Arabic sheets run right to left.
* ``.pdf`` (``pdf``): two or three pages of headline figures, charts and highlights
  written from the data (``highlights``); the Arabic edition is set right to left in
  IBM Plex Sans Arabic, shaped by HarfBuzz.
* ``.csv`` (``csv``): one row per KPI and caller category, KPI names of docs/kpis.md, the
  category's code and its label in the edition's language.

Caller categories and topics are shown by the centre's labels (``analytics.labels``):
"Work-permit follow-up" / «متابعة طلبات تصاريح العمل», not ``work_permit_follow_up``.

A month is Gregorian (``2024-09``) or Umm al-Qura (``1446-03H``); any ``Period`` works.
The dashboards' Reports page and ``cca export`` both call ``write_export``::

    with Store(path).reader() as con:
        centre = get_centre(con, "bahrain_lmra")
        write_export(con, centre, parse_period("1446-03H"), "lmra.pdf", lang="ar")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from analytics.centres import Centre
from analytics.exports.i18n import LANGUAGES, Labels
from analytics.exports.report import (
    MonthlyReport,
    Target,
    build_report,
    build_reports,
    default_targets,
    months_of_year,
)
from analytics.periods import Period

FORMATS = ("xlsx", "pdf", "csv")

__all__ = [
    "FORMATS",
    "LANGUAGES",
    "MonthlyReport",
    "Target",
    "build_report",
    "build_reports",
    "default_targets",
    "export_format",
    "months_of_year",
    "render",
    "write_export",
]


def export_format(path: str | Path) -> str:
    """``xlsx``, ``pdf`` or ``csv`` from a file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot export to {str(path)!r}: the file name must end in .xlsx, .pdf or .csv"
        )
    return suffix


def render(report: MonthlyReport, path: str | Path, *, lang: str = "en") -> Path:
    """Write an already built report to ``path`` in the edition its suffix names."""
    fmt = export_format(path)
    labels = Labels(lang, report.labels.get(lang))
    path = Path(path)
    if fmt == "xlsx":
        from analytics.exports.xlsx import write_xlsx

        return write_xlsx(report, path, labels)
    if fmt == "pdf":
        from analytics.exports.pdf import write_pdf

        return write_pdf(report, path, labels)
    from analytics.exports.csv import write_csv

    return write_csv(report, path, labels)


def write_export(
    con,
    centre: Centre,
    period: Period,
    path: str | Path,
    *,
    lang: str = "en",
    as_of: dt.datetime | None = None,
    targets: Sequence[Target] | None = None,
    intraday_interval: str = "30min",
) -> Path:
    """Export ``centre``'s KPIs for ``period`` to ``path`` (.xlsx, .pdf or .csv).

    ``con`` is a (read-only) store connection; ``lang`` is ``en`` or ``ar``; ``as_of``
    (aware, default now) is when tickets are judged; ``targets`` default to
    ``default_targets(centre)``; ``intraday_interval`` is 15min, 30min or 60min.
    Returns the path written.
    """
    export_format(path)
    Labels(lang)  # fail on a bad language before any query
    report = build_report(
        con, centre, period, as_of=as_of, targets=targets, intraday_interval=intraday_interval
    )
    return render(report, path, lang=lang)
