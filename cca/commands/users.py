"""`cca users`: who may log in to the dashboards, with which role and centres.

    cca users add NAME --role admin|manager|planner|executive|wallboard [--centres a,b]
                       [--password-stdin]
    cca users list
    cca users disable NAME | enable NAME | remove NAME
    cca users password NAME [--password-stdin]

Passwords are asked for twice without echo (or read from standard input with
`--password-stdin`) and stored as argon2id hashes in the app-state store beside the
database (`<db stem>.app.sqlite`). Roles: admin (everything), manager (all but admin),
planner (overview, categories, intraday, planner), executive (overview, reports),
wallboard (the wall screen only).
"""

from __future__ import annotations

import getpass
import sys

from cca.options import actions, command

ROLES = ("admin", "manager", "planner", "executive", "wallboard")


def register(subparsers) -> None:
    p = command(subparsers, "users", __doc__, "add, list, disable or remove dashboard users")
    sub = actions(p, "action")
    add = sub.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--centres", help="comma-separated centre ids (default: every centre)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = sub.add_parser("password", help="set a new password (ends the user's sessions)")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("list", help="list users")
    for action, text in (
        ("disable", "disable a user (ends their sessions)"),
        ("enable", "enable a disabled user"),
        ("remove", "remove a user"),
    ):
        one = sub.add_parser(action, help=text)
        one.add_argument("name")
    p.set_defaults(handler=handle)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        from analytics.errors import UserError

        raise UserError("the two passwords differ")
    return first


def handle(args) -> int:
    from analytics.appstate import AppState
    from analytics.errors import UserError
    from analytics.store import Store
    from cca.output import emit
    from dashboards import auth

    state = AppState.beside(Store(args.db).path)
    try:
        if args.action == "add":
            auth.add_user(state, args.name, _password(args.password_stdin), args.role, args.centres)
            state.audit(None, "user_added", {"user": args.name, "role": args.role, "by": "cli"})
            print(f"added {args.name} ({args.role})", file=sys.stderr)
        elif args.action == "password":
            auth.update_user(state, args.name, password=_password(args.password_stdin))
            state.audit(None, "user_password", {"user": args.name, "by": "cli"})
        elif args.action in ("disable", "enable"):
            auth.update_user(state, args.name, disabled=args.action == "disable")
            state.audit(None, f"user_{args.action}d", {"user": args.name, "by": "cli"})
        elif args.action == "remove":
            auth.remove_user(state, args.name)
            state.audit(None, "user_removed", {"user": args.name, "by": "cli"})
        else:
            emit(auth.list_users(state), "table")
    except auth.UserError as exc:
        raise UserError(str(exc)) from None
    return 0
