"""The PDF edition of the monthly report: three A4 pages an executive reads in two minutes.

1. Headline figures as tiles (value, target, change against the month before, a
   traffic-light bar) and the highlights written from the data.
2. Charts: calls offered per day with the headline service level, and the intraday
   profile (calls per 30 minutes over the month's days, with its service level).
3. Tables: KPIs by caller category, the busiest topics, tickets by category.

Rendering path (works offline, nothing outside the Python packages): ``fpdf2`` lays out
the pages and shapes every string with HarfBuzz (``uharfbuzz``), so Arabic letters join
and right-to-left runs with embedded numbers follow the Unicode bidi algorithm; the font
is IBM Plex Sans Arabic (Arabic and Latin, from the ``fontpkg-ibm-plex-sans-arabic``
wheel). Charts are drawn by matplotlib (Agg) as PNG with only numbers and times on them;
their titles and legends are set by fpdf2, so they are shaped like all other text. The
Arabic edition mirrors the layout: columns and tiles run from the right.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from analytics.exports.highlights import highlights
from analytics.exports.i18n import Labels
from analytics.exports.report import MonthlyReport
from analytics.kpi import threshold_label

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 14.0
CONTENT_W = PAGE_W - 2 * MARGIN
INK = (33, 37, 41)
MUTED = (108, 117, 125)
HEADER = (31, 78, 95)
BAR = "#4F81BD"
LINE = "#C0504D"
TARGET = "#2E7D32"
# Headline page, charts page, tables page.
PAGES = 3
STATUS_COLOURS = {1: (46, 125, 50), 0: (230, 160, 0), -1: (198, 40, 40), None: (173, 181, 189)}


def font_paths() -> dict[str, Path]:
    """The TTF files of the report font (regular, bold)."""
    import fontpkg_ibm_plex_sans_arabic as plex

    files = Path(plex.ROOT) / "files"
    return {"": files / "IBMPlexSansArabic-Regular.ttf", "B": files / "IBMPlexSansArabic-Bold.ttf"}


class _Report(FPDF):
    """An FPDF that lays out left-to-right coordinates and mirrors them for Arabic."""

    def __init__(self, labels: Labels):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.labels = labels
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        for style, path in font_paths().items():
            self.add_font("Plex", style, str(path))
        self.set_text_shaping(True, direction="rtl" if labels.rtl else "ltr")
        self.set_font("Plex", "", 10)
        self.set_text_color(*INK)

    def xm(self, x: float, w: float) -> float:
        """The page x of a box at ``x`` (mm from the leading edge) ``w`` wide."""
        return PAGE_W - x - w if self.labels.rtl else x

    def lead(self, align: str = "L") -> str:
        """An alignment in reading order: 'L' means the leading side."""
        if not self.labels.rtl:
            return align
        return {"L": "R", "R": "L"}.get(align, align)

    def text_box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        colour=INK,
        align: str = "L",
    ) -> None:
        self.set_font("Plex", "B" if bold else "", size)
        # a line longer than its box (a header's dates, zone and stamps) is set smaller,
        # never cut at the page's edge
        while size > 6 and self.get_string_width(text) > w:
            size -= 0.25
            self.set_font("Plex", "B" if bold else "", size)
        self.set_text_color(*colour)
        self.set_xy(self.xm(x, w), y)
        self.cell(w, h, text, align=self.lead(align))

    def paragraph(
        self,
        x: float,
        y: float,
        w: float,
        text: str,
        *,
        size: float = 10,
        line: float = 5.0,
        colour=INK,
    ) -> float:
        """A wrapped paragraph; returns the y below it."""
        self.set_font("Plex", "", size)
        self.set_text_color(*colour)
        self.set_xy(self.xm(x, w), y)
        self.multi_cell(w, line, text, align=self.lead("L"))
        return self.get_y()

    def footer(self) -> None:
        labels = self.labels
        y = PAGE_H - 10
        self.set_draw_color(222, 226, 230)
        self.set_line_width(0.2)
        self.line(MARGIN, y - 1.5, PAGE_W - MARGIN, y - 1.5)
        self.text_box(MARGIN, y, CONTENT_W * 0.8, 5, labels["pdf_source"], size=6.8, colour=MUTED)
        self.text_box(
            MARGIN + CONTENT_W * 0.8,
            y,
            CONTENT_W * 0.2,
            5,
            labels["page"].format(n=self.page_no(), total=PAGES),
            size=6.8,
            colour=MUTED,
            align="R",
        )

    def heading(self, y: float, text: str) -> float:
        self.text_box(MARGIN, y, CONTENT_W, 7, text, size=12.5, bold=True, colour=HEADER)
        self.set_draw_color(*HEADER)
        self.set_line_width(0.3)
        self.line(MARGIN, y + 7.5, PAGE_W - MARGIN, y + 7.5)
        return y + 10


def _header(pdf: _Report, report: MonthlyReport) -> float:
    labels = pdf.labels
    centre = report.centre
    pdf.set_fill_color(*HEADER)
    pdf.rect(0, 0, PAGE_W, 30, style="F")
    pdf.text_box(
        MARGIN, 5, CONTENT_W, 8, labels["title"], size=16, bold=True, colour=(255, 255, 255)
    )
    title = f"{labels.centre(centre)} · {labels.period_name(report.period)}"
    pdf.text_box(MARGIN, 13.5, CONTENT_W, 7, title, size=12, colour=(255, 255, 255))
    sub = f"{labels.period_span(report.period)} · {labels.data_up_to(report)}"
    pdf.text_box(MARGIN, 21, CONTENT_W, 5, sub, size=8, colour=(220, 230, 235))
    stop = labels.data_stop(report)
    if stop:  # the data end before the period does: say so before any figure
        pdf.text_box(MARGIN, 31.5, CONTENT_W, 5, stop, size=9, bold=True, colour=(201, 42, 42))
        return 40
    return 36


def _tile(
    pdf: _Report,
    report: MonthlyReport,
    x: float,
    y: float,
    w: float,
    h: float,
    name: str,
    now: dict,
    before: dict | None,
) -> None:
    labels = pdf.labels
    value = now.get(name)
    target = report.target(name)
    status = target.status(value) if target else None
    pdf.set_fill_color(246, 248, 250)
    pdf.rect(pdf.xm(x, w), y, w, h, style="F")
    pdf.set_fill_color(*STATUS_COLOURS[status if target else None])
    pdf.rect(pdf.xm(x, 1.6), y, 1.6, h, style="F")
    inner_x, inner_w = x + 3.5, w - 5
    pdf.set_font("Plex", "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(pdf.xm(inner_x, inner_w), y + 1.5)
    pdf.multi_cell(inner_w, 3.4, labels.kpi(name), align=pdf.lead("L"), max_line_height=3.4)
    pdf.text_box(inner_x, y + 9, inner_w, 8, labels.value(name, value), size=15, bold=True)
    notes = []
    if target:
        bound = "≥" if target.at_least else "≤"
        notes.append(f"{labels['target']} {bound} {labels.value(name, target.value)}")
    if (
        before is not None
        and report.previous
        and value is not None
        and before.get(name) is not None
    ):
        month = labels.period_name(report.previous).split(" ")[0]
        if report.period.label.endswith("H"):
            month = labels.period_name(report.previous).rsplit(" ", 2)[0]
        notes.append(f"{labels.change(name, value - before[name])} {labels['vs']} {month}")
    for i, note in enumerate(notes):
        pdf.text_box(inner_x, y + 17.5 + i * 3.6, inner_w, 3.6, note, size=6.8, colour=MUTED)


def _tiles(pdf: _Report, report: MonthlyReport, y: float) -> float:
    labels = pdf.labels
    t = [threshold_label(x) for x in report.thresholds_s]
    calls = [f"sl_offered_{t[0]}"]
    calls.append(f"sl_offered_{t[1]}" if len(t) > 1 else f"sl_answered_{t[0]}")
    calls += ["answer_rate", "answer_rate_excl_short", "offered", "abandon_rate", "asa_s", "aht_s"]
    tickets = ["created", "sla_met_rate", "resolution_wd_p50", "backlog"]
    cols, gap, h = 4, 3.0, 27.0
    w = (CONTENT_W - gap * (cols - 1)) / cols
    y = pdf.heading(y, f"{labels['headline']} — {labels['calls']}")
    for i, name in enumerate(calls):
        row, col = divmod(i, cols)
        _tile(
            pdf,
            report,
            MARGIN + col * (w + gap),
            y + row * (h + gap),
            w,
            h,
            name,
            report.calls,
            report.calls_previous,
        )
    y += 2 * (h + gap) + 2
    y = pdf.heading(y, labels["tickets"])
    for col, name in enumerate(tickets):
        _tile(
            pdf,
            report,
            MARGIN + col * (w + gap),
            y,
            w,
            h,
            name,
            report.tickets,
            report.tickets_previous,
        )
    return y + h + 5


def _highlights(pdf: _Report, report: MonthlyReport, y: float) -> float:
    labels = pdf.labels
    y = pdf.heading(y, labels["highlights"])
    for sentence in highlights(report, labels):
        pdf.set_fill_color(*HEADER)
        pdf.rect(pdf.xm(MARGIN + 1, 1.6), y + 1.8, 1.6, 1.6, style="F")
        y = pdf.paragraph(MARGIN + 5, y, CONTENT_W - 5, sentence, size=9.5, line=5.0) + 1.8
    return y


def _chart_png(
    x_labels: list[str],
    counts: list[float],
    ratios: list[float | None],
    target: float | None,
    *,
    tick_every: int = 1,
) -> bytes:
    """Bars of counts with a service-level line on a 0–100% right axis, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    font = font_paths()[""]
    font_manager.fontManager.addfont(str(font))
    family = font_manager.FontProperties(fname=str(font)).get_name()
    with plt.rc_context({"font.family": family, "font.size": 8}):
        fig, ax = plt.subplots(figsize=(7.2, 2.5), dpi=200)
        positions = list(range(len(x_labels)))
        ax.bar(positions, counts, color=BAR, width=0.7, zorder=2)
        ax.set_xticks(positions[::tick_every], x_labels[::tick_every])
        ax.set_xlim(-0.6, len(positions) - 0.4)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.grid(axis="y", color="#E5E5E5", zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        right = ax.twinx()
        right.plot(
            positions,
            [float("nan") if r is None else r for r in ratios],
            color=LINE,
            marker="o",
            markersize=2.5,
            linewidth=1.6,
            zorder=3,
        )
        if target is not None:
            right.axhline(target, color=TARGET, linestyle="--", linewidth=1)
        right.set_ylim(0, 1.05)
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.spines["top"].set_visible(False)
        fig.tight_layout(pad=0.4)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
    return buffer.getvalue()


def _legend(pdf: _Report, y: float, items: list[tuple[str, str, bool]]) -> None:
    """Swatches (colour, label, is_line) in reading order under a chart title."""
    x = MARGIN
    for colour, label, is_line in items:
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        pdf.set_fill_color(*rgb)
        if is_line:
            pdf.rect(pdf.xm(x, 6), y + 1.7, 6, 0.8, style="F")
        else:
            pdf.rect(pdf.xm(x + 1, 4), y + 0.5, 4, 3.2, style="F")
        pdf.set_font("Plex", "", 7.5)
        width = pdf.get_string_width(label) + 4
        pdf.text_box(x + 7.5, y, width, 4.2, label, size=7.5, colour=MUTED)
        x += 7.5 + width + 4


def _chart(
    pdf: _Report, report: MonthlyReport, y: float, title: str, x_labels, rows, tick_every: int
) -> float:
    labels = pdf.labels
    name = report.headline_sl
    target = report.target(name)
    pdf.text_box(MARGIN, y, CONTENT_W, 6, title, size=10, bold=True)
    items = [(BAR, labels.kpi("offered"), False), (LINE, labels.kpi(name), True)]
    if target:
        items.append((TARGET, f"{labels['target']} {labels.value(name, target.value)}", True))
    _legend(pdf, y + 6.5, items)
    png = _chart_png(
        x_labels,
        [r["offered"] for r in rows],
        [r[name] for r in rows],
        target.value if target else None,
        tick_every=tick_every,
    )
    height = CONTENT_W * 2.5 / 7.2
    pdf.image(io.BytesIO(png), x=MARGIN, y=y + 11.5, w=CONTENT_W, h=height)
    return y + 11.5 + height + 6


def _charts_page(pdf: _Report, report: MonthlyReport) -> None:
    labels = pdf.labels
    y = pdf.heading(MARGIN, labels["calls"])
    t = report.first_threshold
    if report.daily:
        days = [str(r["interval_start"].day) for r in report.daily]
        y = _chart(
            pdf,
            report,
            y,
            labels["daily_chart"].format(t=t),
            days,
            report.daily,
            tick_every=1 if len(days) <= 31 else 7,
        )
    else:
        pdf.text_box(MARGIN, y, CONTENT_W, 6, labels["no_data"], colour=MUTED)
        y += 10
    if report.intraday:
        minutes = int(report.intraday_interval.removesuffix("min"))
        slots = [r["slot"] for r in report.intraday]
        y = _chart(
            pdf,
            report,
            y,
            labels["intraday_chart"].format(m=minutes, t=t),
            slots,
            report.intraday,
            tick_every=max(1, 120 // minutes),
        )


def _table(
    pdf: _Report,
    y: float,
    headers: list[str],
    rows: list[list[str]],
    widths: list[float],
    *,
    size: float = 7.8,
) -> float:
    """A table in reading order (the first column on the leading side)."""
    pdf.set_font("Plex", "B", size)
    header_h = 9.0
    x = MARGIN
    pdf.set_fill_color(*HEADER)
    pdf.rect(MARGIN, y, sum(widths), header_h, style="F")
    for text, w in zip(headers, widths, strict=True):
        pdf.set_text_color(255, 255, 255)
        pdf.set_xy(pdf.xm(x, w), y + 0.4)
        pdf.multi_cell(w, 4.1, text, align="C", max_line_height=4.1)
        x += w
    y += header_h
    pdf.set_font("Plex", "", size)
    for i, row in enumerate(rows):
        if i % 2:
            pdf.set_fill_color(244, 246, 248)
            pdf.rect(MARGIN, y, sum(widths), 5.6, style="F")
        x = MARGIN
        for j, (text, w) in enumerate(zip(row, widths, strict=True)):
            # A long label (a topic's name) is set smaller rather than run into the next cell.
            fitted = size
            pdf.set_font("Plex", "", fitted)
            while fitted > 5.6 and pdf.get_string_width(text) > w - 2:
                fitted -= 0.2
                pdf.set_font("Plex", "", fitted)
            pdf.text_box(x + 1, y, w - 2, 5.6, text, size=fitted, align="L" if j == 0 else "R")
            x += w
        y += 5.6
    return y + 6


def _by_category_table(pdf: _Report, y: float, names, total: dict, by_category) -> float:
    """The KPIs ``names`` of the whole centre (``total``), then of each caller category."""
    labels = pdf.labels
    first_w = 34.0
    widths = [first_w] + [(CONTENT_W - first_w) / len(names)] * len(names)
    headers = [labels["category"]] + [labels.column(n) for n in names]
    rows = [[labels["all"]] + [labels.value(n, total[n]) for n in names]]
    rows += [
        [labels.category(r["category"])] + [labels.value(n, r[n]) for n in names]
        for r in by_category
    ]
    return _table(pdf, y, headers, rows, widths)


def _tables_page(pdf: _Report, report: MonthlyReport) -> None:
    labels = pdf.labels
    t = [threshold_label(x) for x in report.thresholds_s]
    names = [
        "offered",
        "answer_rate",
        "answer_rate_excl_short",
        *[f"sl_offered_{x}" for x in t],
        "abandon_rate",
        "asa_s",
        "aht_s",
    ]
    y = pdf.heading(MARGIN, labels["sheet_category"])
    y = _by_category_table(pdf, y, names, report.calls, report.by_category)

    y = pdf.heading(y, labels["sheet_topic"])
    topics = sorted(report.by_topic, key=lambda r: -(r["offered"] or 0))[:12]
    topic_names = ["offered", "answer_rate", f"sl_offered_{t[0]}", "asa_s", "aht_s"]
    first = [28.0, 44.0]
    widths = first + [(CONTENT_W - sum(first)) / len(topic_names)] * len(topic_names)
    headers = [labels["category"], labels["topic"]] + [labels.column(n) for n in topic_names]
    rows = [
        [labels.category(r["category"]), labels.topic(r["topic"])]
        + [labels.value(n, r[n]) for n in topic_names]
        for r in topics
    ]
    y = _table(pdf, y, headers, rows, widths)

    y = pdf.heading(y, labels["tickets"])
    ticket_names = [
        "created",
        "resolved",
        "frt_wh_p50",
        "resolution_wd_p50",
        "resolution_wd_p90",
        "sla_met_rate",
        "backlog",
        "at_risk",
    ]
    _by_category_table(pdf, y, ticket_names, report.tickets, report.tickets_by_category)


def write_pdf(report: MonthlyReport, path: str | Path, labels: Labels) -> Path:
    """Write the PDF edition of ``report`` to ``path``."""
    path = Path(path)
    pdf = _Report(labels)
    pdf.set_title(f"{labels['title']} — {report.centre.centre_id} {report.period.label}")
    pdf.set_lang(labels.lang)
    pdf.set_creator("contact-centre-analytics")
    pdf.add_page()
    y = _header(pdf, report)
    y = _tiles(pdf, report, y)
    _highlights(pdf, report, y)
    pdf.add_page()
    _charts_page(pdf, report)
    pdf.add_page()
    _tables_page(pdf, report)
    pdf.output(str(path))
    return path
