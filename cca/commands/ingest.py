"""`cca ingest calls|tickets FILE --centre ID`: the nightly load of a centre's export.

Prints what happened to every row (read, loaded, updated, duplicate, rejected,
filtered) and the first rejected lines. Exit status: 0 when anything could be used
(including a re-load where every row is a duplicate, or a header-only file), 1 when the
file had rows and every one was rejected, 2 when the file or mapping itself is unusable.

``--format`` takes both the input format of docs/cli.md (``auto``, ``csv``, ``parquet``)
and the output format (``table``, ``json``); give it twice to set both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cca.options import centre, command

# queue_log (Asterisk) and connect_ctr (Amazon Connect): analytics/formats
INPUT_FORMATS = ("auto", "csv", "parquet", "queue_log", "connect_ctr")
OUTPUT_FORMATS = ("table", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = command(
        subparsers,
        "ingest",
        __doc__,
        "load a call log or ticket export into the store (idempotent)",
        centre("centre id (created if new)"),
    )
    parser.add_argument("kind", choices=("calls", "tickets"), help="what the file holds")
    parser.add_argument(
        "file", type=Path, help="CSV, Parquet, Asterisk queue_log or Amazon Connect records"
    )
    parser.add_argument(
        "--mapping",
        type=Path,
        help="mapping TOML for a non-canonical export, or a shipped preset by name "
        "(anonymous_bank, zendesk, freshdesk, osticket)",
    )
    parser.add_argument(
        "--timezone", help="time zone of a centre created by this load (default UTC)"
    )
    parser.add_argument(
        "--format",
        action="append",
        choices=INPUT_FORMATS + OUTPUT_FORMATS,
        default=[],
        metavar="FORMAT",
        help="input auto|csv|parquet|queue_log|connect_ctr and/or output table|json "
        "(may be given twice)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from analytics.errors import UserError
    from analytics.ingest import IngestError, ingest_file, threads_for
    from analytics.store import Store, StoreError, use_threads
    from cca.output import emit

    inputs = [f for f in args.format if f in INPUT_FORMATS]
    outputs = [f for f in args.format if f in OUTPUT_FORMATS]
    if len(inputs) > 1 or len(outputs) > 1:
        raise UserError("give at most one input format and one output format")
    use_threads(threads_for(args.file))  # this process loads this one file
    try:
        result = ingest_file(
            Store(args.db),
            args.kind,
            args.file,
            args.centre,
            mapping=args.mapping,
            timezone=args.timezone,
            input_format=inputs[0] if inputs else "auto",
        )
    except (IngestError, StoreError) as exc:
        raise UserError(str(exc)) from exc

    if result.centre_created:
        print(f"created centre {result.centre_id}", file=sys.stderr)
    if result.ignored_columns:
        print(
            f"{result.file}: ignored column(s) not in the canonical {result.kind} schema: "
            + ", ".join(result.ignored_columns),
            file=sys.stderr,
        )
    for note in result.notes:
        print(f"{result.file}: {note}", file=sys.stderr)
    fmt = outputs[0] if outputs else "table"
    if fmt == "json":
        emit([result.as_record()], "json")
    else:
        record = result.as_record()
        counts = {
            k: record[k]
            for k in (
                "centre_id",
                "kind",
                "file",
                "batch_id",
                "read",
                "loaded",
                "updated",
                "duplicate",
                "rejected",
                "filtered",
                "seconds",
            )
        }
        emit([counts], "table")
        if result.first_rejects:
            print(
                f"first rejected rows (all {result.rejected} are in table quarantine, "
                f"batch {result.batch_id}):"
            )
            for r in result.first_rejects:
                where = f"line {r.line}" if r.line is not None else "line ?"
                column = f", column {r.column}" if r.column else ""
                print(f"  {result.file} {where}{column}: {r.value!r} {r.reason}")
    return 1 if result.nothing_loadable else 0
