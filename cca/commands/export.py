"""`cca export`: a centre's monthly KPI report as Excel, PDF or CSV, in English or Arabic.

Excel with charts and traffic lights, a PDF of two to three pages with highlights, or a
CSV of every KPI by caller category. Months are Gregorian (2024-09) or Hijri (1446-03H).

    cca export --centre bahrain_lmra --month 2024-09 --out lmra-2024-09.xlsx
    cca export --centre saudi_mol --month 1446-03H --out mol.pdf --lang ar
    cca export --centre bahrain_lmra --all-months --year 2024 --out exports/lmra.xlsx

The suffix of ``--out`` chooses the edition. With ``--all-months`` every month of the
Gregorian (``2024``) or Hijri (``1446H``) year is written, the month inserted before the
suffix (``exports/lmra_2024-01.xlsx`` ...). The paths written go to standard output,
progress to standard error. A thin layer over ``analytics.exports.write_export``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cca.options import centre, centre_reader, command, instant, period


def register(subparsers) -> None:
    parser = command(
        subparsers,
        "export",
        __doc__,
        "monthly KPI report for executives (.xlsx, .pdf or .csv; English or Arabic)",
        centre("centre id, e.g. bahrain_lmra"),
    )

    parser.add_argument("--month", help="2024-09, 1446-03H or a date range 2024-09-01..2024-09-15")
    parser.add_argument(
        "--all-months", action="store_true", help="every month of --year, one file each"
    )
    parser.add_argument("--year", help="with --all-months: 2024 (Gregorian) or 1446H (Hijri)")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        help="output file: its suffix (.xlsx .pdf .csv) picks the edition",
    )
    parser.add_argument("--lang", choices=("en", "ar"), default="en", help="edition language")
    parser.add_argument(
        "--as-of",
        help="judge tickets (SLA, backlog) at this instant, ISO 8601 with offset (default: now)",
    )
    parser.add_argument(
        "--intraday",
        choices=("15min", "30min", "60min"),
        default="30min",
        help="bucket of the intraday profile",
    )
    from cca.commands.store import add_known_at

    add_known_at(parser)
    parser.set_defaults(handler=run)


def month_path(out: Path, label: str) -> Path:
    """``exports/lmra.xlsx`` + ``2024-01`` -> ``exports/lmra_2024-01.xlsx``."""
    return out.with_name(f"{out.stem}_{label}{out.suffix}")


def run(args: argparse.Namespace) -> int:
    from analytics.errors import UserError
    from analytics.exports import build_reports, export_format, months_of_year, render

    try:
        export_format(args.out)
    except ValueError as exc:
        raise UserError(f"--out: {exc}") from None
    if args.all_months:
        if args.month or not args.year:
            raise UserError("--all-months takes --year (2024 or 1446H), not --month")
        try:
            periods = months_of_year(args.year)
        except ValueError as exc:
            raise UserError(f"--year: {exc}") from None
        targets = [(p, month_path(args.out, p.label)) for p in periods]
    else:
        if not args.month:
            raise UserError("give --month (2024-09 or 1446-03H), or --all-months --year")
        if args.year:
            raise UserError("--year goes with --all-months")
        targets = [(period(args.month, "--month"), args.out)]
    as_of = instant(args.as_of or None, "--as-of", "2024-10-01T00:00+03:00")
    if not args.out.parent.exists():
        raise UserError(f"--out: folder {args.out.parent} does not exist")
    with centre_reader(args) as (con, settings):
        reports = build_reports(
            con, settings, [p for p, _ in targets], as_of=as_of, intraday_interval=args.intraday
        )
        for n, (report, (months, path)) in enumerate(zip(reports, targets, strict=True), start=1):
            render(report, path, lang=args.lang)
            print(path)
            if len(targets) > 1:
                print(f"[{n}/{len(targets)}] {months.label}", file=sys.stderr)
    return 0
