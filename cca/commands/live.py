"""`cca live`: the queue as it is now -- follow a feed, or simulate one in real time.

    cca live follow /var/log/asterisk/queue_log --centre bahrain_lmra
    aws kinesis ... | cca live follow - --centre c1 --format connect_agent_events
    cca live follow /data/cdr.csv --centre c2 --format csv --mapping cdr.toml
    cca live simulate --scenario bahrain_lmra --queue-log /tmp/queue_log

`follow` reads a feed as it is written (``tail -F``: rotation by rename or truncation, a
partial last line waits for its newline) and commits each round of events within a
second: finished calls into ``calls`` (the same rows a batch ``cca ingest`` of the log
gives), callers waiting, agents' states and their history, the feed's position and
health. Stopped and started again, it resumes after the last event it committed.
Malformed lines are quarantined (``live_quarantine``: file, byte offset, line, reason)
and the feed carries on. ``-`` reads Connect's JSON lines from standard input;
duplicates (at-least-once delivery) are dropped. ``--format csv`` follows a CSV of call
records as it grows (one finished call a line, a header first), each round of rows
loaded through the ingest with ``--mapping`` (the files ``cca ingest --mapping`` takes);
the other formats' fields are their own, so a mapping does not apply to them.

`simulate` runs a scenario's SimPy model against the wall clock and writes the queue_log
an Asterisk would: agents logging in and off, breaks, wrap-up and every call event. It
starts at the day's opening (``--start``), catches up to now as fast as it can
(``--speed 60``: a simulated minute a second instead), then goes on in real time: no
event is ever stamped after now. A log written by an earlier run is continued after its
last event. Follow that file to watch a wallboard move.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cca.options import actions, centre, command, seed

FOLLOW_FORMATS = ("queue_log", "connect_agent_events", "connect_contact_events", "csv")


def register(subparsers) -> None:
    p = command(
        subparsers,
        "live",
        __doc__,
        "follow a queue_log or Connect event stream live; simulate a live queue_log",
    )
    sub = actions(p, "live_command")
    f = command(
        sub,
        "follow",
        __doc__,
        "follow a feed as it is written and commit its events to the store",
        centre("centre id (created if new)"),
    )
    f.add_argument("file", help="the log to follow, or - for standard input (Connect events)")
    f.add_argument(
        "--format",
        choices=FOLLOW_FORMATS,
        default="queue_log",
        help="queue_log (Asterisk, default), connect_agent_events, connect_contact_events, "
        "or csv: call records, one finished call a line (a call-detail export as it grows)",
    )
    f.add_argument(
        "--mapping",
        help="--format csv: a mapping file or preset, as cca ingest --mapping takes (the "
        "other formats' fields are their own)",
    )
    f.add_argument("--timezone", help="time zone of a centre created by this feed (default UTC)")
    f.add_argument(
        "--until-idle",
        action="store_true",
        help="stop once everything written so far is committed (catch up, then exit)",
    )
    f.add_argument("--poll", type=float, default=0.1, help="seconds between reads when idle")
    f.set_defaults(handler=follow)

    s = command(
        sub,
        "simulate",
        __doc__,
        "run a scenario in real time and write the queue_log an Asterisk would",
        seed("random seed (default 0)"),
    )
    s.add_argument("--scenario", required=True, help="scenario pack name or TOML file")
    s.add_argument(
        "--speed",
        type=float,
        default=None,
        help="simulated seconds per real second while behind the wall clock (default: as "
        "fast as it can); never ahead of it: caught up, it runs in real time",
    )
    s.add_argument("--queue-log", required=True, type=Path, help="the queue_log to write")
    s.add_argument(
        "--start",
        help="simulated start, ISO time in the scenario's time zone (default: today's "
        "opening; a log from an earlier run goes on after its last event)",
    )
    s.add_argument("--hours", type=float, default=None, help="stop after this many simulated hours")
    s.set_defaults(handler=simulate)


def follow(args) -> int:
    from analytics.ingest import IngestError
    from analytics.live.follower import FeedError, Follower
    from analytics.store import Store, StoreError, hold_catalogues, use_threads
    from cca.cli import UserError

    use_threads(1)  # this process runs a feed's small statements and nothing else
    hold_catalogues()  # it commits every second
    source = str(args.file)
    try:
        follower = Follower(
            Store(args.db),
            args.centre,
            source,
            args.format,
            timezone=args.timezone,
            mapping=args.mapping,
        )
    except (FeedError, StoreError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    for note in follower.notes:
        print(note, file=sys.stderr)
    print(f"following {follower.source} as {args.format} for {args.centre}", file=sys.stderr)
    try:
        follower.run(poll_s=args.poll, until_idle=args.until_idle)
    except KeyboardInterrupt:
        pass
    except IngestError as exc:  # a mapping that does not fit the file, say
        raise UserError(f"{follower.source}: {exc}") from exc
    finally:
        follower.close()
    t = follower.totals
    print(
        f"{t['events']} event(s), {t['calls_loaded']} call(s) loaded, {t['malformed']} "
        f"malformed line(s), {t['unknown']} event(s) of unseen calls, {t['dup']} duplicate(s)",
        file=sys.stderr,
    )
    return 0


def simulate(args) -> int:
    from cca.cli import UserError
    from simulation.live import LiveSimulationError, run_live

    try:
        run_live(
            args.scenario,
            args.queue_log,
            speed=args.speed,
            seed=args.seed,
            start=args.start,
            hours=args.hours,
            notes=lambda text: print(text, file=sys.stderr, flush=True),
        )
    except (LiveSimulationError, ValueError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from exc
    except KeyboardInterrupt:
        pass
    return 0
