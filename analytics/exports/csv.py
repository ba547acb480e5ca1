"""The CSV edition of the monthly report: one row per KPI and caller category.

For programs, not people: a long table that a spreadsheet pivot or a data warehouse
takes as it is. Columns:

    centre_id, period, period_start, period_end, scope, category, category_label, kpi, value, note

``scope`` is ``calls``, ``tickets`` or ``occupancy``; ``category`` is empty for the
whole centre; ``kpi`` is a KPI name of docs/kpis.md (``sl_offered_12``, ``frt_wh_p50``);
``value`` is the KPI layer's value as it is (ratios as fractions, times in seconds,
working hours or working days), empty when the KPI is null. ``category`` is the stored
code (what programs join on); ``category_label`` beside it is the centre's name for it
in the edition's language (``analytics.labels``). ``note`` is empty unless the data stop
a working day or more before the period ends: then every row carries the sentence the
PDF and Excel editions print above their figures (``Labels.data_stop``), so a program
that loads the file cannot take a partial month for a whole one. The label and the note
are the only columns that differ between the English and Arabic files.
"""

from __future__ import annotations

import csv
from pathlib import Path

from analytics.exports.i18n import Labels
from analytics.exports.report import MonthlyReport
from analytics.kpi import OCCUPANCY_NAMES, call_kpi_names, ticket_kpi_names

COLUMNS = (
    "centre_id",
    "period",
    "period_start",
    "period_end",
    "scope",
    "category",
    "category_label",
    "kpi",
    "value",
    "note",
)


def csv_rows(report: MonthlyReport, labels: Labels | None = None) -> list[dict]:
    """The rows of the CSV edition, as dicts keyed by ``COLUMNS`` (labels: English)."""
    labels = labels or Labels("en", report.labels.get("en"))
    base = {
        "centre_id": report.centre.centre_id,
        "period": report.period.label,
        "period_start": report.period.start.isoformat(),
        "period_end": report.period.end.isoformat(),
    }
    # the data-stop warning of the PDF and Excel editions, in the edition's language
    note = labels.data_stop(report) or ""
    rows: list[dict] = []

    def add(scope: str, category, names, values: dict, scope_wide: bool = False) -> None:
        for name in names:
            rows.append(
                {
                    **base,
                    "scope": scope,
                    "category": "" if category is None else category,
                    # the whole centre has no category, hence no label
                    "category_label": "" if scope_wide else labels.category(category),
                    "kpi": name,
                    "value": values[name],
                    "note": note,
                }
            )

    calls = call_kpi_names(report.thresholds_s)
    add("calls", None, calls, report.calls, True)
    for row in report.by_category:
        add("calls", row["category"], calls, row)
    tickets = ticket_kpi_names()
    add("tickets", None, tickets, report.tickets, True)
    for row in report.tickets_by_category:
        add("tickets", row["category"], tickets, row)
    add("occupancy", None, OCCUPANCY_NAMES, report.occupancy, True)
    return rows


def write_csv(report: MonthlyReport, path: str | Path, labels: Labels | None = None) -> Path:
    """Write the CSV edition of ``report`` to ``path`` (UTF-8, header row); ``labels``
    give the edition's language (default English)."""
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in csv_rows(report, labels):
            value = row["value"]
            writer.writerow(
                {
                    **row,
                    "value": ""
                    if value is None
                    else repr(float(value))
                    if isinstance(value, float)
                    else value,
                }
            )
    return path
