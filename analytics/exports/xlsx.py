"""The Excel edition of the monthly report (xlsxwriter): native charts, live traffic lights.

Sheets, in order (right to left in the Arabic edition):

1. **Summary** – headline call and ticket KPIs of the period against their targets, the
   period before and the same period a year before. The status column is an Excel
   formula (1 meets, 0 within tolerance, -1 misses) shown as traffic-light icons, and
   the value cell is coloured by it; changes are formulas too, so the workbook stays
   consistent if someone edits a target.
2. **By caller category**, 3. **By topic** (within category) – every call KPI.
4. **Daily trend** – every call KPI per local day, with the Hijri date.
5. **Intraday profile** – every call KPI per 30 minutes of the day, the period's days together.
6. **Tickets** – ticket KPIs overall, by category and per day.
7. **Definitions** – each KPI's formula, the thresholds T and S, the SLA in working
   days, the business calendar and the targets.

Every data table has two header rows: the reader's label and, below it in grey, the
KPI name of docs/kpis.md (the contract, the same in both editions). Values are written
as the KPI layer returned them (ratios as fractions under a percentage format, seconds
as seconds), so a program reading the workbook gets exactly the KPI layer's figures.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from analytics.calendars import BusinessCalendar
from analytics.exports.highlights import highlights
from analytics.exports.i18n import Labels
from analytics.exports.report import MonthlyReport
from analytics.kpi import call_kpi_names, ticket_kpi_names
from analytics.kpi.catalogue import fmt_of

GREEN, AMBER, RED = "#C6EFCE", "#FFEB9C", "#FFC7CE"
HEADER_BG = "#1F4E5F"
# First data row of every table sheet (0-based): title, blank, labels, names.
DATA_ROW = 4


class _Formats:
    """The workbook's cell formats, keyed by KPI kind."""

    def __init__(self, wb: xlsxwriter.Workbook, labels: Labels):
        rtl = {"reading_order": 2} if labels.rtl else {}
        sec = labels["seconds"]
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": HEADER_BG, **rtl})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#555555", **rtl})
        self.text = wb.add_format({**rtl})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top", **rtl})
        self.bold = wb.add_format({"bold": True, **rtl})
        self.section = wb.add_format({"bold": True, "font_size": 12, "bottom": 1, **rtl})
        self.header = wb.add_format(
            {
                "bold": True,
                "font_color": "white",
                "bg_color": HEADER_BG,
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
                **rtl,
            }
        )
        self.name = wb.add_format({"font_color": "#7F7F7F", "font_size": 8, "italic": True})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.kind = {
            "count": wb.add_format({"num_format": "#,##0"}),
            "ratio": wb.add_format({"num_format": "0.0%"}),
            "seconds": wb.add_format({"num_format": f'#,##0.0" {sec}"'}),
            "hours": wb.add_format({"num_format": "#,##0.0"}),
            "days": wb.add_format({"num_format": "0.00"}),
        }
        pts = labels.tr.gettext("pts")
        self.change = {
            "ratio": wb.add_format({"num_format": f'+0.0" {pts}";-0.0" {pts}";0.0" {pts}"'}),
            "count": wb.add_format({"num_format": "+#,##0;-#,##0;0"}),
            "seconds": wb.add_format(
                {"num_format": f'+#,##0.0" {sec}";-#,##0.0" {sec}";0.0" {sec}"'}
            ),
            "hours": wb.add_format({"num_format": "+#,##0.0;-#,##0.0;0.0"}),
            "days": wb.add_format({"num_format": "+0.00;-0.00;0.00"}),
        }
        self.status = wb.add_format({"align": "center"})
        self.fill = {
            1: wb.add_format({"bg_color": GREEN}),
            0: wb.add_format({"bg_color": AMBER}),
            -1: wb.add_format({"bg_color": RED}),
        }

    def value(self, name: str):
        return self.kind[fmt_of(name)]


def _sheet(wb, f: _Formats, labels: Labels, sheet_names: dict, role: str, report=None):
    """A new worksheet for ``role``, right to left in Arabic; with ``report``, titled with
    the sheet's name and the period."""
    ws = wb.add_worksheet(sheet_names[role])
    if labels.rtl:
        ws.right_to_left()
    if report is not None:
        ws.write(0, 0, f"{labels['sheet_' + role]} — {labels.period_name(report.period)}", f.title)
    return ws


def _page_setup(ws, labels: Labels, repeat: tuple[int, int] | None = None) -> None:
    """Print (and PDF) layout: landscape A4, the sheet's full width on one page, the
    header rows on every page. Without it a 20-column sheet prints as a dozen portrait
    pages of clipped columns."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    if repeat is not None:
        ws.repeat_rows(*repeat)
    # The sheet name sits where the reader starts: the left in English, the right in Arabic.
    # Arabic gets bare numbers: "صفحة &P من &N" mixes fields into right-to-left text,
    # which LibreOffice lays out as "8 من1صفحة".
    if labels.rtl:
        ws.set_footer("&L&P / &N&R&A")
    else:
        ws.set_footer(f"&L&A&R{labels['page'].format(n='&P', total='&N')}")


def _cell(ws, row: int, col: int, value, fmt=None) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value.replace(tzinfo=None), fmt)
    else:
        ws.write(row, col, value, fmt)


def _col(col: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(col)


def _table(
    ws,
    f: _Formats,
    labels: Labels,
    keys: list[tuple[str, str]],
    names: list[str],
    rows: list[list],
    row0: int = 2,
) -> int:
    """Two header rows (labels, KPI names) at ``row0``, then ``rows`` (key values then
    KPI values). ``keys`` are (label, name) of the leading columns. Returns the last row."""
    for c, (label, name) in enumerate(keys):
        ws.write(row0, c, label, f.header)
        ws.write(row0 + 1, c, name, f.name)
    for c, name in enumerate(names, start=len(keys)):
        ws.write(row0, c, labels.kpi(name), f.header)
        ws.write(row0 + 1, c, name, f.name)
    # Five lines: "Service level within 12 s (incl. abandons)" wraps to four in 15 characters.
    ws.set_row(row0, 75)
    r = row0 + 2
    for values in rows:
        key_values, kpi_values = values[: len(keys)], values[len(keys) :]
        for c, v in enumerate(key_values):
            _cell(ws, r, c, v, f.date if isinstance(v, dt.date) else f.text)
        for c, (name, v) in enumerate(zip(names, kpi_values, strict=True), start=len(keys)):
            _cell(ws, r, c, v, f.value(name))
        r += 1
    ws.freeze_panes(row0 + 2, len(keys))
    return r - 1


def _combo_chart(
    wb,
    labels: Labels,
    sheet: str,
    *,
    title: str,
    cat_col: int,
    first: int,
    last: int,
    count_col: int,
    count_name: str,
    ratio_col: int | None,
    ratio_name: str | None,
    kind: str = "column",
    dates: bool = False,
):
    chart = wb.add_chart({"type": kind})
    chart.add_series(
        {
            "name": labels.kpi(count_name),
            "categories": [sheet, first, cat_col, last, cat_col],
            "values": [sheet, first, count_col, last, count_col],
            "fill": {"color": "#4F81BD"},
            "gap": 50,
        }
    )
    if ratio_col is not None:
        line = wb.add_chart({"type": "line"})
        line.add_series(
            {
                "name": labels.kpi(ratio_name),
                "categories": [sheet, first, cat_col, last, cat_col],
                "values": [sheet, first, ratio_col, last, ratio_col],
                "y2_axis": True,
                "line": {"color": "#C0504D", "width": 2.25},
                "marker": {"type": "circle", "size": 4},
            }
        )
        chart.combine(line)
        line.set_y2_axis({"num_format": "0%", "min": 0, "max": 1})
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_y_axis(
        {"num_format": "#,##0", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}}
    )
    if dates:
        # Days as day-of-month: without a date axis the chart shows Excel serials (46266).
        chart.set_x_axis({"date_axis": True, "num_format": "dd"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 320})
    return chart


def _offered_and_service_level(
    wb,
    labels: Labels,
    report: MonthlyReport,
    sheet: str,
    title: str,
    rows,
    *,
    keys: int,
    dates=False,
):
    """The chart of calls offered (columns) and the headline service level (a line) over
    ``rows`` (first, last) of a call-KPI table on ``sheet`` whose ``keys`` columns come
    before the KPIs."""
    names = call_kpi_names(report.thresholds_s)
    first, last = rows
    return _combo_chart(
        wb,
        labels,
        sheet,
        title=title,
        cat_col=0,
        first=first,
        last=last,
        count_col=keys + names.index("offered"),
        count_name="offered",
        ratio_col=keys + names.index(report.headline_sl),
        ratio_name=report.headline_sl,
        dates=dates,
    )


def _if_any(row: dict | None, counts: tuple[str, ...]) -> dict | None:
    """``row`` if any of its ``counts`` is positive, else None (a period without data)."""
    return row if row and any((row.get(c) or 0) > 0 for c in counts) else None


# long: the summary sheet written cell by cell in the order a reader sees it (title, period,
# every KPI row with its change and target); one running row number ties it together
def _summary(wb, f: _Formats, labels: Labels, report: MonthlyReport, sheet_names: dict) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "summary")
    centre = report.centre
    ws.write(0, 0, f"{labels['title']} — {labels.centre(centre)}", f.title)
    ws.write(
        1,
        0,
        f"{labels.period_name(report.period)} · {labels.period_span(report.period)}",
        f.subtitle,
    )
    stop = labels.data_stop(report)
    ws.write(2, 0, f"{labels.data_up_to(report)} · {stop or labels['source']}", f.subtitle)
    previous = labels.period_name(report.previous) if report.previous else "—"
    before = labels.period_name(report.year_before) if report.year_before else "—"
    headers = [
        (labels["kpi"], "kpi"),
        (labels["name"], "name"),
        (f"{labels['this_month']}\n{labels.period_name(report.period)}", "value"),
        (labels["target"], "target"),
        (labels["status"], "status"),
        (f"{labels['previous']}\n{previous}", "previous"),
        (labels["change"], "change_previous"),
        (f"{labels['year_before']}\n{before}", "year_before"),
        (labels["change"], "change_year_before"),
    ]
    hrow = 4
    for c, (label, name) in enumerate(headers):
        ws.write(hrow, c, label, f.header)
        ws.write(hrow + 1, c, name, f.name)
    ws.set_row(hrow, 62)  # "Same period a year before" + a Hijri month: four lines
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 8, 15)
    _page_setup(ws, labels)

    occupancy_row = report.occupancy if report.occupancy["staffed_s"] else None
    # A compared period the store holds no calls (or tickets) for is left blank, as the
    # highlights leave it out: "0 calls, +11,064" would read as a real September 2025.
    calls_previous = _if_any(report.calls_previous, ("offered",))
    calls_year_before = _if_any(report.calls_year_before, ("offered",))
    ticket_activity = ("created", "resolved", "backlog")
    sections = [
        (
            labels["calls"],
            report.headline_call_kpis(),
            report.calls,
            calls_previous,
            calls_year_before,
        ),
    ]
    if occupancy_row:
        sections[0][1].append("occupancy")
    sections.append(
        (
            labels["tickets"],
            report.headline_ticket_kpis(),
            report.tickets,
            _if_any(report.tickets_previous, ticket_activity),
            _if_any(report.tickets_year_before, ticket_activity),
        )
    )
    occ = {
        "occupancy": (
            report.occupancy,
            report.occupancy_previous if calls_previous else None,
            report.occupancy_year_before if calls_year_before else None,
        )
    }
    r = hrow + 2
    status_rows = []
    for title, names, now, prev, yb in sections:
        ws.write(r, 0, title, f.section)
        r += 1
        for name in names:
            if name in occ:
                now_v, prev_v, yb_v = (x[name] if x else None for x in occ[name])
            else:
                now_v = now.get(name)
                prev_v = prev.get(name) if prev else None
                yb_v = yb.get(name) if yb else None
            kind = fmt_of(name)
            ws.write(r, 0, labels.kpi(name), f.text)
            ws.write(r, 1, name, f.name)
            _cell(ws, r, 2, now_v, f.value(name))
            _cell(ws, r, 5, prev_v, f.value(name))
            _cell(ws, r, 7, yb_v, f.value(name))
            scale = "*100" if kind == "ratio" else ""
            for col, other, other_col in ((6, prev_v, 5), (8, yb_v, 7)):
                a, b = f"C{r + 1}", f"{_col(other_col)}{r + 1}"
                cached = None
                if now_v is not None and other is not None:
                    cached = (now_v - other) * (100 if kind == "ratio" else 1)
                ws.write_formula(
                    r,
                    col,
                    f'=IF(AND(ISNUMBER({a}),ISNUMBER({b})),({a}-{b}){scale},"")',
                    f.change[kind],
                    "" if cached is None else cached,
                )
            target = report.target(name)
            if target is not None:
                _cell(ws, r, 3, target.value, f.value(name))
                c, d = f"C{r + 1}", f"D{r + 1}"
                tol = target.tolerance
                if target.at_least:
                    formula = f'=IF(ISNUMBER({c}),IF({c}>={d},1,IF({c}>={d}-{tol},0,-1)),"")'
                else:
                    formula = f'=IF(ISNUMBER({c}),IF({c}<={d},1,IF({c}<={d}+{tol},0,-1)),"")'
                status = target.status(now_v)
                ws.write_formula(r, 4, formula, f.status, "" if status is None else status)
                status_rows.append(r)
            r += 1
        r += 1
    for row in status_rows:
        ws.conditional_format(
            row,
            4,
            row,
            4,
            {
                "type": "icon_set",
                "icon_style": "3_traffic_lights",
                "icons_only": True,
                "icons": [
                    {"criteria": ">=", "type": "number", "value": 1},
                    {"criteria": ">=", "type": "number", "value": 0},
                ],
            },
        )
        for status, fmt in f.fill.items():
            ws.conditional_format(
                row,
                2,
                row,
                2,
                {"type": "formula", "criteria": f"=$E${row + 1}={status}", "format": fmt},
            )
    # Highlights under the table, then the daily trend chart.
    ws.write(r, 0, labels["highlights"], f.section)
    r += 1
    for sentence in highlights(report, labels):
        ws.merge_range(r, 0, r, 8, sentence, f.wrap)
        ws.set_row(r, 32)
        r += 1
    if report.daily:
        sheet = sheet_names["daily"]
        first, last = DATA_ROW, DATA_ROW + len(report.daily) - 1
        chart = _offered_and_service_level(
            wb,
            labels,
            report,
            sheet,
            labels["daily_chart"].format(t=report.first_threshold),
            (first, last),
            keys=3,
            dates=True,
        )
        # Printed, the chart starts a page rather than being cut by the page break.
        ws.set_h_pagebreaks([r + 1])
        ws.insert_chart(r + 1, 0, chart)
    ws.activate()


def _category_label(labels: Labels, value) -> str:
    return labels.category(value)


def _by_category(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "category", report)
    names = call_kpi_names(report.thresholds_s)
    rows = [[labels["all"]] + [report.calls[n] for n in names]]
    rows += [
        [_category_label(labels, r["category"])] + [r[n] for n in names] for r in report.by_category
    ]
    last = _table(ws, f, labels, [(labels["category"], "category")], names, rows)
    _page_setup(ws, labels, (2, 3))
    ws.set_column(0, 0, 20)
    ws.set_column(1, len(names), 15)
    if report.by_category:
        chart = _offered_and_service_level(
            wb,
            labels,
            report,
            sheet_names["category"],
            labels["category_chart"],
            (DATA_ROW + 1, last),
            keys=1,
        )
        ws.insert_chart(last + 3, 0, chart)


def _by_topic(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "topic", report)
    names = call_kpi_names(report.thresholds_s)
    rows = [
        [_category_label(labels, r["category"]), labels.topic(r["topic"])] + [r[n] for n in names]
        for r in report.by_topic
    ]
    keys = [(labels["category"], "category"), (labels["topic"], "topic")]
    last = _table(ws, f, labels, keys, names, rows)
    _page_setup(ws, labels, (2, 3))
    ws.set_column(0, 1, 22)
    ws.set_column(2, len(names) + 1, 15)
    if rows:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": labels.kpi("offered"),
                "categories": [sheet_names["topic"], DATA_ROW, 0, last, 1],
                "values": [sheet_names["topic"], DATA_ROW, 2, last, 2],
                "fill": {"color": "#4F81BD"},
                "gap": 40,
            }
        )
        chart.set_title({"name": labels["topic_chart"], "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(
            {
                "num_format": "#,##0",
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
            }
        )
        chart.set_size({"width": 760, "height": max(300, 22 * len(rows) + 80)})
        ws.insert_chart(last + 3, 0, chart)


def _daily(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "daily", report)
    names = call_kpi_names(report.thresholds_s)
    rows = []
    for r in report.daily:
        day = r["interval_start"].date()
        rows.append(
            [day, labels.weekday(day.isoweekday()), labels.hijri_date(day)] + [r[n] for n in names]
        )
    keys = [
        (labels["date"], "date"),
        (labels["weekday"], "weekday"),
        (labels["hijri_date"], "hijri_date"),
    ]
    last = _table(ws, f, labels, keys, names, rows)
    _page_setup(ws, labels, (2, 3))
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 18)
    ws.set_column(3, len(names) + 2, 15)
    if rows:
        chart = _offered_and_service_level(
            wb,
            labels,
            report,
            sheet_names["daily"],
            labels["daily_chart"].format(t=report.first_threshold),
            (DATA_ROW, last),
            keys=3,
            dates=True,
        )
        ws.insert_chart(last + 3, 0, chart)


def _intraday(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "intraday", report)
    names = call_kpi_names(report.thresholds_s)
    rows = [[r["slot"]] + [r[n] for n in names] for r in report.intraday]
    last = _table(ws, f, labels, [(labels["slot"], "slot")], names, rows)
    _page_setup(ws, labels, (2, 3))
    ws.set_column(0, 0, 12)
    ws.set_column(1, len(names), 15)
    if rows:
        minutes = report.intraday_interval.removesuffix("min")
        chart = _offered_and_service_level(
            wb,
            labels,
            report,
            sheet_names["intraday"],
            labels["intraday_chart"].format(m=minutes, t=report.first_threshold),
            (DATA_ROW, last),
            keys=1,
        )
        ws.insert_chart(last + 3, 0, chart)


def _tickets(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "tickets", report)
    names = ticket_kpi_names()
    rows = [[labels["all"]] + [report.tickets[n] for n in names]]
    rows += [
        [_category_label(labels, r["category"])] + [r[n] for n in names]
        for r in report.tickets_by_category
    ]
    last = _table(ws, f, labels, [(labels["category"], "category")], names, rows)
    ws.set_column(0, 0, 20)
    ws.set_column(1, len(names) + 1, 15)
    # The daily table sits below, with its own two header rows.
    row0 = last + 3
    ws.write(row0 - 1, 0, labels["sheet_daily"], f.section)
    daily = [[r["interval_start"].date()] + [r[n] for n in names] for r in report.tickets_daily]
    last_daily = _table(ws, f, labels, [(labels["date"], "date")], names, daily, row0=row0)
    _page_setup(ws, labels)
    ws.freeze_panes(0, 0)
    if daily:
        chart = wb.add_chart({"type": "line"})
        for name, color in (("created", "#4F81BD"), ("resolved", "#9BBB59")):
            col = 1 + names.index(name)
            chart.add_series(
                {
                    "name": labels.kpi(name),
                    "categories": [sheet_names["tickets"], row0 + 2, 0, last_daily, 0],
                    "values": [sheet_names["tickets"], row0 + 2, col, last_daily, col],
                    "line": {"color": color, "width": 2},
                }
            )
        chart.set_title({"name": labels["tickets_chart"], "name_font": {"size": 11}})
        chart.set_x_axis({"date_axis": True, "num_format": "dd"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 760, "height": 300})
        ws.insert_chart(1, len(names) + 2, chart)


def _definitions(wb, f, labels, report, sheet_names) -> None:
    ws = _sheet(wb, f, labels, sheet_names, "definitions")
    centre = report.centre
    ws.write(0, 0, labels["sheet_definitions"], f.title)
    headers = [labels["name"], labels["kpi"], labels["definition"], labels["unit"]]
    for c, h in enumerate(headers):
        ws.write(2, c, h, f.header)
    _page_setup(ws, labels, (2, 2))
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 2, 90)
    ws.set_column(3, 3, 16)
    r = 3
    all_names = call_kpi_names(report.thresholds_s) + ["occupancy"] + ticket_kpi_names()
    for name in all_names:
        ws.write(r, 0, name, f.text)
        ws.write(r, 1, labels.kpi(name), f.text)
        definition = labels.definition(
            name, short_abandon_s=report.short_abandon_s, sla_wd=centre.ticket_sla_wd
        )
        ws.write(r, 2, definition, f.wrap)
        ws.write(r, 3, labels.unit(name), f.text)
        r += 1
    r += 1
    ws.write(r, 0, labels["setting"], f.header)
    ws.merge_range(r, 1, r, 3, labels["value"], f.header)
    r += 1
    calendar = BusinessCalendar(centre)
    sec = labels["seconds"]
    hours = []
    for day in range(1, 8):
        spans = centre.opening_hours.get(day, ())
        text = (
            ", ".join(f"{a}–{b}" for a, b in spans)
            if spans and day not in centre.weekend
            else labels["closed"]
        )
        hours.append(f"{labels.weekday(day)} {text}")
    settings = [
        (labels["centre"], f"{labels.centre(centre)} ({centre.centre_id})"),
        (
            labels["period"],
            f"{labels.period_name(report.period)} · {labels.period_span(report.period)}",
        ),
        (labels["time_zone"], centre.timezone),
        (labels["thresholds"], ", ".join(f"{t:g} {sec}" for t in report.thresholds_s)),
        (labels["short_abandon"], f"{report.short_abandon_s:g} {sec}"),
        (labels["ticket_sla"], f"{centre.ticket_sla_wd:g} {labels['working_days']}"),
        (labels["full_day"], f"{calendar.full_day_s / 3600:g} {labels['hours']}"),
        (labels["weekend"], ", ".join(labels.weekday(d) for d in centre.weekend) or labels["none"]),
        (labels["opening_hours"], "; ".join(hours)),
        (labels["holidays"], centre.holiday_country or labels["none"]),
        (labels["as_of"], labels.data_up_to(report)),
    ]
    for key, value in settings:
        ws.write(r, 0, key, f.bold)
        # Across the KPI, definition and unit columns (~150 characters): a centre's name or
        # a week of opening hours would otherwise wrap into rows no viewer grows to fit.
        ws.merge_range(r, 1, r, 3, value, f.wrap)
        lines = -(-len(value) // 140)
        if lines > 1:
            ws.set_row(r, 15 * lines)
        r += 1
    r += 1
    ws.write(r, 0, labels["targets"], f.section)
    r += 1
    for c, h in enumerate([labels["name"], labels["kpi"], labels["target"], labels["tolerance"]]):
        ws.write(r, c, h, f.header)
    r += 1
    for target in report.targets:
        ws.write(r, 0, target.kpi, f.text)
        ws.write(r, 1, labels.kpi(target.kpi), f.text)
        ws.write(
            r,
            2,
            ("≥ " if target.at_least else "≤ ") + labels.value(target.kpi, target.value),
            f.text,
        )
        ws.write(r, 3, labels.change(target.kpi, target.tolerance).lstrip("+"), f.text)
        r += 1


def sheet_names(labels: Labels) -> dict[str, str]:
    """Sheet titles of an edition, keyed by role."""
    return {
        role: labels[f"sheet_{key}"]
        for role, key in (
            ("summary", "summary"),
            ("category", "category"),
            ("topic", "topic"),
            ("daily", "daily"),
            ("intraday", "intraday"),
            ("tickets", "tickets"),
            ("definitions", "definitions"),
        )
    }


def write_xlsx(report: MonthlyReport, path: str | Path, labels: Labels) -> Path:
    """Write the Excel edition of ``report`` to ``path``."""
    path = Path(path)
    names = sheet_names(labels)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties(
        {
            "title": f"{labels['title']} — {report.centre.centre_id} {report.period.label}",
            "subject": report.period.label,
            "company": labels.centre(report.centre),
        }
    )
    f = _Formats(wb, labels)
    _summary(wb, f, labels, report, names)
    _by_category(wb, f, labels, report, names)
    _by_topic(wb, f, labels, report, names)
    _daily(wb, f, labels, report, names)
    _intraday(wb, f, labels, report, names)
    _tickets(wb, f, labels, report, names)
    _definitions(wb, f, labels, report, names)
    wb.close()
    return path
