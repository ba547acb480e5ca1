"""Executive exports: every figure in the Excel, CSV and PDF editions is the KPI layer's.

The store holds a Bahrain-like centre (Asia/Bahrain, Friday–Saturday weekend, S = 30 s)
with calls in August and September 2024 and September 2023, tickets and a little
staffing. In September, employer calls on Sundays wait 40 s instead of a few seconds, so
the service level within 12 s falls against August and the highlights must say it was
led by employer calls on Sundays. Each test opens what a reader opens (openpyxl for the
workbook, the CSV as text, pdftoppm's PNG pages) and compares it with ``call_kpis`` /
``ticket_kpis`` / ``occupancy`` for the same month.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from support.cli import cca_refuses, run_cca
from support.kpi import add_calls, add_staffing, add_tickets

from analytics.centres import Centre
from analytics.exports import build_report, render, write_export
from analytics.exports.highlights import highlights, sl_driver
from analytics.exports.i18n import Labels
from analytics.exports.report import (
    folded_profile,
    months_of_year,
    previous_period,
    year_before,
)
from analytics.exports.xlsx import sheet_names
from analytics.kpi import call_kpi_names, call_kpis, occupancy, ticket_kpi_names, ticket_kpis
from analytics.periods import parse_period
from analytics.store import Store

AS_OF = dt.datetime(2024, 10, 10, 12, 0, tzinfo=dt.UTC)
CENTRE = Centre(
    "bahrain_test",
    name="LMRA call centre",
    timezone="Asia/Bahrain",
    short_abandon_s=30.0,
    opening_hours={d: ((("07:00", "19:00"),) if d in (7, 1, 2, 3, 4) else ()) for d in range(1, 8)},
    weekend=(5, 6),
    holiday_country="BH",
)
TOPICS = {
    "employer": ["work permit", "e-services", "fees"],
    "worker": ["permit status", "transfer"],
    "other": ["general"],
}


def _calls() -> list[dict]:
    rng = random.Random(7)
    calls = []
    days = [dt.date(2024, 8, 1) + dt.timedelta(days=i) for i in range(61)]
    days += [dt.date(2023, 9, 1) + dt.timedelta(days=i) for i in range(30)]
    days += [dt.date(2024, 10, 1) + dt.timedelta(days=i) for i in range(3)]
    for day in days:
        for _ in range(18):
            category = rng.choices(["employer", "worker", "other"], [80, 15, 5])[0]
            wait = rng.choice([2.0, 4.0, 6.0, 8.0, 10.0, 14.0, 25.0])
            if (
                day.month == 9
                and day.year == 2024
                and category == "employer"
                and day.isoweekday() == 7
            ):
                wait = 40.0
            outcome = rng.choices(["answered", "abandoned", "timeout"], [88, 11, 1])[0]
            calls.append(
                {
                    "arrived_at": f"{day} {rng.randint(7, 18):02d}:{rng.choice([5, 20, 35, 50]):02d}:00",
                    "outcome": outcome,
                    "wait_s": wait,
                    "talk_s": 120.0 + rng.randint(0, 120) if outcome == "answered" else None,
                    "hold_s": 10.0 if outcome == "answered" else None,
                    "acw_s": 30.0 if outcome == "answered" else None,
                    "category": category,
                    "topic": rng.choice(TOPICS[category]),
                }
            )
    return calls


def _tickets() -> list[dict]:
    rng = random.Random(11)
    tickets = []
    for i in range(61):
        day = dt.date(2024, 8, 1) + dt.timedelta(days=i)
        for _ in range(3):
            created = dt.datetime(day.year, day.month, day.day, rng.randint(7, 17), 0)
            resolved = created + dt.timedelta(hours=rng.choice([2, 20, 50, 100]))
            open_ticket = rng.random() < 0.1
            tickets.append(
                {
                    "created_at": created.isoformat(sep=" "),
                    "first_response_at": (created + dt.timedelta(hours=1)).isoformat(sep=" "),
                    "resolved_at": None if open_ticket else resolved.isoformat(sep=" "),
                    "status": "open" if open_ticket else "resolved",
                    "category": rng.choice(["employer", "worker"]),
                }
            )
    return tickets


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    s = Store(tmp_path_factory.mktemp("export") / "export.duckdb")
    s.initialise()
    add_calls(s, CENTRE, _calls())
    add_tickets(s, CENTRE, _tickets())
    add_staffing(
        s,
        CENTRE,
        [(f"2024-09-{d:02d} {h:02d}:00", 3600, 4) for d in range(1, 31) for h in range(7, 19)],
    )
    return s


@pytest.fixture(scope="module")
def september(store):
    with store.reader() as con:
        return build_report(con, CENTRE, parse_period("2024-09"), as_of=AS_OF)


@pytest.fixture(scope="module")
def files(september, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("files")
    written = {}
    for lang in ("en", "ar"):
        for fmt in ("xlsx", "pdf", "csv"):
            written[f"{lang}.{fmt}"] = render(september, out / f"sept_{lang}.{fmt}", lang=lang)
    return written


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def _table(ws, first_key_name: str) -> tuple[list[str], list[list]]:
    """The KPI-name header row of a sheet's first table and its data rows below it."""
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row[0] == first_key_name:
            names = [c for c in row if c is not None]
            data = []
            for values in ws.iter_rows(min_row=r + 1, values_only=True):
                if values[0] is None:
                    break
                data.append(list(values[: len(names)]))
            return names, data
    raise AssertionError(f"no table with key {first_key_name!r} in {ws.title}")


def _check_workbook(path: Path, lang: str, store: Store) -> int:
    """Compare every figure of the workbook with the KPI layer; returns how many."""
    labels = Labels(lang)
    sheets = sheet_names(labels)
    period = parse_period("2024-09")
    wb = openpyxl.load_workbook(path, data_only=True)
    assert wb.sheetnames == list(sheets.values())
    names = call_kpi_names(CENTRE.sl_thresholds_s)
    checked = 0
    with store.reader() as con:
        month = call_kpis(con, CENTRE, period=period)[0]
        august = call_kpis(con, CENTRE, period=parse_period("2024-08"))[0]
        a_year_before = call_kpis(con, CENTRE, period=parse_period("2023-09"))[0]
        tickets = ticket_kpis(con, CENTRE, period=period, as_of=AS_OF)[0]
        tickets_aug = ticket_kpis(con, CENTRE, period=parse_period("2024-08"), as_of=AS_OF)[0]
        tickets_yb = ticket_kpis(con, CENTRE, period=parse_period("2023-09"), as_of=AS_OF)[0]
        occ = occupancy(con, CENTRE, period=period)[0]
        occ_aug = occupancy(con, CENTRE, period=parse_period("2024-08"))[0]
        by_category = call_kpis(con, CENTRE, period=period, by=("category",))
        by_topic = call_kpis(con, CENTRE, period=period, by=("category", "topic"))
        daily = call_kpis(con, CENTRE, period=period, interval="day")
        tickets_by_category = ticket_kpis(con, CENTRE, period=period, by=("category",), as_of=AS_OF)
        tickets_daily = ticket_kpis(con, CENTRE, period=period, interval="day", as_of=AS_OF)

    # Summary: this month, previous month, a year before, and the changes between them.
    ws = wb[sheets["summary"]]
    seen = set()
    for row in ws.iter_rows(min_row=7, values_only=True):
        name = row[1]
        if not name or name == "name":
            continue
        if name in month or name == "occupancy":
            now, prev, yb = (
                (month, august, a_year_before) if name in month else (occ, occ_aug, None)
            )
        else:
            now, prev, yb = tickets, tickets_aug, tickets_yb
        assert _same(row[2], now[name]), name
        assert _same(row[5], prev[name]), name
        if yb is tickets_yb:
            # The fixture's tickets start in August 2024: September 2023 has none, and a
            # period without data is left blank rather than compared as zeros.
            assert (tickets_yb["created"], tickets_yb["backlog"]) == (0, 0)
            assert row[7] is None and row[8] in (None, ""), name
        elif yb is not None:
            assert _same(row[7], yb[name]), name
        scale = 100 if name.startswith("sl_") or "rate" in name or name == "occupancy" else 1
        if now[name] is not None and prev[name] is not None:
            assert row[6] == pytest.approx((now[name] - prev[name]) * scale), name
        seen.add(name)
        checked += 3
    assert {
        "offered",
        "sl_offered_12",
        "sl_offered_30",
        "answer_rate_excl_short",
        "occupancy",
        "sla_met_rate",
        "backlog",
    } <= seen

    # By caller category: the whole centre first, then every category.
    head, data = _table(wb[sheets["category"]], "category")
    assert head[1:] == names
    assert data[0][0] == labels["all"]
    expected = [month] + by_category
    assert len(data) == len(expected)
    for values, kpis in zip(data, expected, strict=True):
        if kpis is not month:
            assert values[0] == labels.category(kpis["category"])
        for name, value in zip(head[1:], values[1:], strict=True):
            assert _same(value, kpis[name]), name
            checked += 1

    head, data = _table(wb[sheets["topic"]], "category")
    assert len(data) == len(by_topic)
    for values, kpis in zip(data, by_topic, strict=True):
        assert values[:2] == [labels.category(kpis["category"]), labels.topic(kpis["topic"])]
        for name, value in zip(head[2:], values[2:], strict=True):
            assert _same(value, kpis[name]), name
            checked += 1

    head, data = _table(wb[sheets["daily"]], "date")
    assert len(data) == len(daily) == 30
    for values, kpis in zip(data, daily, strict=True):
        assert values[0].date() == kpis["interval_start"].date()
        assert values[1] == labels.weekday(kpis["interval_start"].isoweekday())
        for name, value in zip(head[3:], values[3:], strict=True):
            assert _same(value, kpis[name]), name
            checked += 1

    # The intraday profile folds the month's days together: its counts add up to the month.
    head, data = _table(wb[sheets["intraday"]], "slot")
    assert sum(r[head.index("offered")] for r in data) == month["offered"]
    assert sum(r[head.index("short_abandoned")] for r in data) == month["short_abandoned"]

    ws = wb[sheets["tickets"]]
    head, data = _table(ws, "category")
    assert head[1:] == ticket_kpi_names()
    for values, kpis in zip(data, [tickets] + tickets_by_category, strict=True):
        for name, value in zip(head[1:], values[1:], strict=True):
            assert _same(value, kpis[name]), name
            checked += 1
    head, data = _table(ws, "date")
    assert len(data) == len(tickets_daily)
    for values, kpis in zip(data, tickets_daily, strict=True):
        assert values[0].date() == kpis["interval_start"].date()
        for name, value in zip(head[1:], values[1:], strict=True):
            assert _same(value, kpis[name]), name
            checked += 1
    return checked


def test_every_figure_of_the_english_workbook_equals_the_kpi_layer(files, store):
    assert _check_workbook(files["en.xlsx"], "en", store) > 1000


def test_the_arabic_workbook_has_the_same_figures_on_right_to_left_sheets(files, store):
    _check_workbook(files["ar.xlsx"], "ar", store)
    wb = openpyxl.load_workbook(files["ar.xlsx"])
    assert wb.sheetnames[0] == "الملخص"
    assert all(ws.sheet_view.rightToLeft for ws in wb.worksheets)
    english = openpyxl.load_workbook(files["en.xlsx"])
    assert not any(ws.sheet_view.rightToLeft for ws in english.worksheets)


def test_the_workbook_has_native_charts_traffic_lights_and_number_formats(files):
    with zipfile.ZipFile(files["en.xlsx"]) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        summary = z.read("xl/worksheets/sheet1.xml").decode()
    assert len(charts) >= 6  # summary, category, topic, daily, intraday, tickets
    assert summary.count('type="iconSet"') >= 5 and 'showValue="0"' in summary
    wb = openpyxl.load_workbook(files["en.xlsx"])
    ws = wb[sheet_names(Labels("en"))["summary"]]
    formats = {
        row[1].value: row[2].number_format for row in ws.iter_rows(min_row=7) if row[1].value
    }
    assert formats["sl_offered_12"] == "0.0%"
    assert formats["asa_s"] == '#,##0.0" s"'
    assert formats["offered"] == "#,##0"
    statuses = {row[1].value: row[4].value for row in ws.iter_rows(min_row=7) if row[1].value}
    assert statuses["sl_offered_12"].startswith("=IF(ISNUMBER(C")


def test_traffic_lights_follow_the_targets(files, september):
    wb = openpyxl.load_workbook(files["en.xlsx"], data_only=True)
    ws = wb[sheet_names(Labels("en"))["summary"]]
    status = {row[1]: row[4] for row in ws.iter_rows(min_row=7, values_only=True) if row[1]}
    for target in september.targets:
        value = {**september.calls, **september.tickets}[target.kpi]
        assert status[target.kpi] == target.status(value)
    # abandon rate 11%+ against at most 5% (amber to 7%): red
    assert status["abandon_rate"] == -1


def test_the_definitions_sheet_gives_every_formula_and_the_thresholds(files):
    wb = openpyxl.load_workbook(files["en.xlsx"])
    ws = wb[sheet_names(Labels("en"))["definitions"]]
    rows: dict = {}
    for r in ws.iter_rows(values_only=True):
        rows.setdefault(r[0], r)  # the definitions come before the targets table
    for name in call_kpi_names((12, 30)) + ticket_kpi_names() + ["occupancy"]:
        assert rows[name][2], name
    assert rows["sl_offered_12"][2] == "answered with wait_s ≤ 12 s / offered"
    assert "S (30 s)" in rows["short_abandoned"][2]
    assert rows["Service-level thresholds T"][1] == "12 s, 30 s"
    assert rows["Short-abandon threshold S"][1] == "30 s"
    assert rows["Ticket SLA"][1] == "3 working days"
    assert rows["Full working day"][1] == "12 hours"
    assert rows["Weekend"][1] == "Friday, Saturday"


def test_csv_has_one_row_per_kpi_and_category_equal_to_the_kpi_layer(files, store):
    period = parse_period("2024-09")
    with store.reader() as con:
        expected = {("calls", ""): call_kpis(con, CENTRE, period=period)[0]}
        for row in call_kpis(con, CENTRE, period=period, by=("category",)):
            expected[("calls", row["category"])] = row
        expected[("tickets", "")] = ticket_kpis(con, CENTRE, period=period, as_of=AS_OF)[0]
        for row in ticket_kpis(con, CENTRE, period=period, by=("category",), as_of=AS_OF):
            expected[("tickets", row["category"])] = row
        expected[("occupancy", "")] = occupancy(con, CENTRE, period=period)[0]
    with open(files["en.csv"], encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
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
    ]
    sizes = {
        "calls": len(call_kpi_names((12, 30))),
        "tickets": len(ticket_kpi_names()),
        "occupancy": 3,
    }
    assert len(rows) == sum(sizes[scope] for scope, _ in expected)
    for row in rows:
        kpis = expected[(row["scope"], row["category"])]
        value = kpis[row["kpi"]]
        assert row["centre_id"] == CENTRE.centre_id and row["period"] == "2024-09"
        assert (
            (row["value"] == "") if value is None else float(row["value"]) == pytest.approx(value)
        )
        # the code for programs, the reader's name beside it; none for the whole centre
        label = Labels("en").category(row["category"]) if row["category"] else ""
        assert row["category_label"] == label
    assert {r["kpi"] for r in rows} >= set(call_kpi_names((12, 30))) | set(ticket_kpi_names())
    with open(files["ar.csv"], encoding="utf-8") as f:
        arabic = list(csv.DictReader(f))
    # The editions differ only in the label column.
    assert [{**r, "category_label": ""} for r in arabic] == [
        {**r, "category_label": ""} for r in rows
    ]
    assert {r["category_label"] for r in arabic} == {"", "أصحاب العمل", "العمال", "أخرى"}


def _pages(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def _ink(png: Path) -> float:
    """The share of pixels that are not near-white."""
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return sum(histogram[:200]) / (image.width * image.height)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_pdf_opens_has_three_pages_and_none_is_blank(files, lang, tmp_path):
    pages = _pages(files[f"{lang}.pdf"], tmp_path)
    assert len(pages) == 3
    for page in pages:
        assert _ink(page) > 0.02, page.name
    fonts = subprocess.run(
        ["pdffonts", str(files[f"{lang}.pdf"])], capture_output=True, text=True, check=True
    ).stdout
    assert "IBMPlexSansArabic" in fonts


def test_the_english_pdf_shows_the_headline_figures_and_highlights(files, september):
    text = subprocess.run(
        ["pdftotext", "-layout", str(files["en.pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    labels = Labels("en")
    for name in ("sl_offered_12", "answer_rate", "answer_rate_excl_short", "abandon_rate"):
        assert labels.value(name, september.calls[name]) in text, name
    assert f"{september.calls['offered']:,}" in text
    assert "led by employer calls on Sundays" in " ".join(text.split())


def test_highlights_name_the_category_and_weekday_that_led_the_service_level_change(september):
    category, weekday, change = sl_driver(september)
    assert (category, weekday) == ("employer", 7) and change < -0.2
    english = highlights(september, Labels("en"))
    assert english[0].startswith("Service level within 12 s fell ")
    assert "against August 2024" in english[0] and "led by employer calls on Sundays" in english[0]
    rate = Labels("en").value("answer_rate", september.calls["answer_rate"])
    excl = Labels("en").value("answer_rate_excl_short", september.calls["answer_rate_excl_short"])
    assert f"an answer rate of {rate}, or {excl} leaving out the" in english[1]
    arabic = highlights(september, Labels("ar"))
    assert arabic[0].startswith("انخفض مستوى الخدمة خلال 12 ث")
    assert "مكالمات أصحاب العمل أيام الأحد" in arabic[0]


def test_intraday_profile_of_one_day_equals_call_kpis_by_30_minutes(store):
    day = parse_period("2024-09-03")
    with store.reader() as con:
        profile = folded_profile(con, CENTRE, day, profile="intraday", interval="30min")
        direct = call_kpis(con, CENTRE, period=day, interval="30min")
    assert len(profile) == len(direct) > 5
    for folded, row in zip(profile, direct, strict=True):
        assert folded["slot"] == row["interval_start"].strftime("%H:%M")
        for name in call_kpi_names((12, 30)):
            assert _same(folded[name], row[name]), name


def test_weekday_profile_of_one_week_equals_call_kpis_by_day_and_category(store):
    week = parse_period("2024-09-01..2024-09-07")  # Sunday to Saturday
    with store.reader() as con:
        profile = folded_profile(con, CENTRE, week, profile="weekday", by=("category",))
        direct = call_kpis(con, CENTRE, period=week, by=("category",), interval="day")
    assert len(profile) == len(direct)
    for folded, row in zip(profile, direct, strict=True):
        assert folded["category"] == row["category"]
        assert folded["weekday"] == row["interval_start"].isoweekday()
        for name in call_kpi_names((12, 30)):
            assert _same(folded[name], row[name]), name


def test_a_hijri_month_compares_with_the_hijri_month_before_and_a_hijri_year_before(
    store, tmp_path
):
    period = parse_period("1446-03H")
    with store.reader() as con:
        path = write_export(con, CENTRE, period, tmp_path / "rabi.xlsx", as_of=AS_OF)
        month = call_kpis(con, CENTRE, period=period)[0]
        before = call_kpis(con, CENTRE, period=parse_period("1446-02H"))[0]
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    assert "Rabi al-Awwal 1446 AH" in ws["A2"].value and "2024-09-04 – 2024-10-03" in ws["A2"].value
    assert "Safar 1446 AH" in ws["F5"].value and "Rabi al-Awwal 1445 AH" in ws["H5"].value
    values = {r[1]: (r[2], r[5]) for r in ws.iter_rows(min_row=7, values_only=True) if r[1]}
    assert values["offered"] == (month["offered"], before["offered"])
    assert _same(values["sl_offered_12"][0], month["sl_offered_12"])


def test_a_month_without_calls_exports_blanks_not_zeros(store, tmp_path):
    with store.reader() as con:
        report = build_report(con, CENTRE, parse_period("2022-01"), as_of=AS_OF)
    for lang in ("en", "ar"):
        for fmt in ("xlsx", "pdf", "csv"):
            render(report, tmp_path / f"empty_{lang}.{fmt}", lang=lang)
    ws = openpyxl.load_workbook(tmp_path / "empty_en.xlsx", data_only=True)["Summary"]
    values = {r[1]: r[2] for r in ws.iter_rows(min_row=7, values_only=True) if r[1]}
    assert values["offered"] == 0 and values["answer_rate"] is None
    assert len(_pages(tmp_path / "empty_ar.pdf", tmp_path)) == 3


def test_previous_and_year_before_periods_wrap_years():
    assert previous_period(parse_period("2024-01")).label == "2023-12"
    assert previous_period(parse_period("1446-01H")).label == "1445-12H"
    assert year_before(parse_period("1446-03H")).label == "1445-03H"
    assert year_before(parse_period("2024-02-29..2024-03-01")).start == dt.date(2023, 2, 28)
    assert previous_period(parse_period("2024-09-08..2024-09-14")).label == "2024-09-01..2024-09-07"
    assert [p.label for p in months_of_year("1446H")][:2] == ["1446-01H", "1446-02H"]
    assert len(months_of_year("2024")) == 12
    with pytest.raises(ValueError, match="year"):
        months_of_year("24")


def test_cca_export_writes_a_month_and_all_months_of_a_year(store, tmp_path):
    out = run_cca(
        "export",
        "--centre",
        CENTRE.centre_id,
        "--month",
        "2024-09",
        "--out",
        str(tmp_path / "sept.csv"),
        "--as-of",
        AS_OF.isoformat(),
        db=store.path,
    )
    assert out.stdout.strip() == str(tmp_path / "sept.csv")
    out = run_cca(
        "export",
        "--centre",
        CENTRE.centre_id,
        "--all-months",
        "--year",
        "2024",
        "--out",
        str(tmp_path / "year.csv"),
        db=store.path,
    )
    written = out.stdout.split()
    assert written[0].endswith("year_2024-01.csv") and len(written) == 12
    assert all(Path(p).exists() for p in written)


def test_cca_export_explains_user_errors(store, tmp_path):
    def export(centre: str, month: str, out: str, says: str) -> None:
        cca_refuses(
            *("export", "--centre", centre, "--month", month, "--out", str(tmp_path / out)),
            says=says,
            db=store.path,
        )

    export(CENTRE.centre_id, "2024-09", "report.docx", says=".xlsx, .pdf or .csv")
    export("nowhere", "2024-09", "r.csv", says="unknown centre")
    export(CENTRE.centre_id, "2024-13", "r.csv", says="--month")


def test_a_month_is_not_compared_with_a_month_the_history_holds_only_in_part(tmp_path):
    # History starts on 20 August: August is a partial month, so September's report has
    # no "previous month" column (an "up 200%" would be the data's start, not the callers).
    store = Store(tmp_path / "partial.duckdb")
    store.initialise()
    calls = [
        {"call_id": f"a{i}", "arrived_at": f"2024-08-{20 + i % 5} 09:00", "outcome": "answered",
         "wait_s": 5, "talk_s": 100, "category": "employer"}
        for i in range(10)
    ] + [
        {"call_id": f"s{i}", "arrived_at": f"2024-09-{1 + i % 25:02d} 09:00",
         "outcome": "answered", "wait_s": 5, "talk_s": 100, "category": "employer"}
        for i in range(30)
    ]  # fmt: skip
    add_calls(store, CENTRE, calls)
    with store.reader() as con:
        september = build_report(con, CENTRE, parse_period("2024-09"), as_of=AS_OF)
        august = build_report(con, CENTRE, parse_period("2024-08"), as_of=AS_OF)
    assert september.calls["offered"] == 30
    assert september.previous is None and september.calls_previous is None
    assert september.year_before is None and september.calls_year_before is None
    assert august.calls["offered"] == 10 and august.previous is None
    assert not any("August" in line for line in highlights(september, Labels("en")))
