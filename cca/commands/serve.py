"""`cca serve`: the dashboards on a production WSGI server (waitress), never Dash's debug server.

    cca serve                          # http://127.0.0.1:8050/
    cca serve --host 0.0.0.0 --port 80 # listen beyond this machine (put TLS in front)

It binds to 127.0.0.1 unless told otherwise. One process with threads: background jobs
and their progress live in this process, and the analytics file is opened read-only
per request, so a load published by `cca ingest` or `cca generate` shows at the next
click without a restart. Users: `cca users add NAME --role ...`.
"""

from __future__ import annotations

import sys

from cca.options import command, listen_address


def register(subparsers) -> None:
    p = command(
        subparsers,
        "serve",
        __doc__,
        "serve the dashboards (waitress, 127.0.0.1:8050 by default)",
        listen_address(),
    )
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (when served over HTTPS behind a proxy)",
    )
    p.add_argument(
        "--idle-minutes",
        type=float,
        default=30.0,
        help="end a session not used for this many minutes (default 30)",
    )
    p.add_argument(
        "--trusted-proxies",
        type=int,
        default=0,
        help="reverse proxies in front (TLS) whose X-Forwarded-For gives the client (default 0)",
    )
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from waitress import serve

    from analytics.errors import UserError
    from analytics.store import Store, StoreError, hold_catalogues
    from dashboards import Settings, create_app
    from dashboards.app import freeze_startup_objects

    hold_catalogues()  # it reads all day, beside feeds committing every second
    store = Store(args.db)
    try:
        if not store.exists():
            raise UserError(f"no database at {store.path}: run cca demo or cca ingest first")
    except StoreError as exc:
        raise UserError(str(exc)) from None
    idle = getattr(args, "idle_minutes", 30.0)  # cca demo passes only what it has
    if idle <= 0:
        raise UserError(f"--idle-minutes {idle:g}: give a positive number")
    app = create_app(
        store,
        Settings(
            secure_cookies=args.secure_cookies,
            idle_minutes=idle,
            trusted_proxies=max(0, getattr(args, "trusted_proxies", 0)),
        ),
    )
    freeze_startup_objects()  # no full collection walks the app's own objects again
    # the planner's simulation workers take seconds to start: start them now, not on the
    # first "Simulate"
    import threading

    threading.Thread(target=app.server.config["CCA"].jobs.warm_up, daemon=True).start()
    print(
        f"Serving the dashboards on http://{args.host}:{args.port}/ (Ctrl+C stops)", file=sys.stderr
    )
    serve(app.server, host=args.host, port=args.port, threads=args.threads, ident="cca")
    return 0
