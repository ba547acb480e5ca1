"""Who may see what: users, roles, log-in, sessions, lock-outs and CSRF for the dashboards.

Seed 000's ministry learnt that shared passwords lead to transactions nobody made: the
dashboards show personal performance and caller data, so every route but the log-in form
needs a session, and every role sees only its pages and centres.

* Users live in the app-state store (``analytics.appstate``), passwords hashed with
  argon2id. Roles: ``admin`` (everything), ``manager`` (all but /admin), ``planner``
  (overview, categories, intraday, planner), ``executive`` (overview, reports) and
  ``wallboard`` (the wall screen only). ``centres`` limits a user to some centres.
* A log-in starts a server-side session (a random id in the ``sessions`` table; the
  cookie carries it signed, HttpOnly, SameSite=Lax), so disabling a user or logging out
  ends it at once, unlike a self-contained cookie.
* Five failed log-ins for a name within 15 minutes lock it for 15 minutes — unknown
  names too, so the lock-out does not tell which names exist.
* CSRF: the log-in form carries a token that must match a cookie (double submit); after
  log-in Dash's own front end copies the ``_csrf_token`` cookie into an ``X-CSRFToken``
  header on every POST, which must equal the session's token.
* One ``before_request`` guard covers every route, Dash's JSON endpoints included:
  those answer 401 without a session; pages redirect to /login; a page the role may not
  open answers 403. Callbacks check the role again (``require``): any callback is
  reachable from any page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import dash
import flask
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from analytics.appstate import AppState, utc_now
from analytics.errors import UserError  # a user-management request that cannot be done
from analytics.translation import (
    DEFAULT,
    LANGUAGE_NAMES,
    N_,
    direction,
    in_languages,
    other_language,
    translator,
)
from dashboards.language import page_language

ROLES = ("admin", "manager", "planner", "executive", "wallboard")
# Where each role lands after logging in.
HOME = {"wallboard": "/wallboard"}

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)
IDLE_TIMEOUT = dt.timedelta(minutes=30)  # a session unused this long ends (Settings.idle_minutes)
TOUCH_EVERY = dt.timedelta(seconds=30)  # last_seen is written at most this often
SESSION_COOKIE = "cca_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's front end reads
LOGIN_CSRF_COOKIE = "cca_login_csrf"

# Reachable without a session: the log-in form and what it shows.
PUBLIC_PATHS = ("/login", "/assets/login.css", "/assets/favicon.ico")
PUBLIC_PREFIXES = ("/assets/fonts/",)
# Dash's routes that serve the page shell, whose content the page router then picks.
_DASH_INDEX = ("/", "/<path:path>")

# argon2id with argon2-cffi's defaults: RFC 9106's second recommended option (64 MiB,
# 3 passes, 4 lanes). A hash carries its own parameters, so verifying reads them from it.
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    username: str
    role: str
    centres: tuple[str, ...] | None  # None: every centre

    def may_open(self, path: str) -> bool:
        """Whether the page the router renders for ``path`` opens for this user: the
        roles its ``register_page`` declares, and admins for every page."""
        found = page_at(path)
        return found is not None and (self.role == "admin" or self.role in page_roles(found))

    def may_see(self, centre_id: str) -> bool:
        return self.centres is None or centre_id in self.centres

    def visible(self, centre_ids: Iterable[str]) -> list[str]:
        return [c for c in centre_ids if self.may_see(c)]

    @property
    def home(self) -> str:
        return HOME.get(self.role, "/")


# ------------------------------------------------------------------------------ pages


def canonical_path(path: str) -> str | None:
    """``path`` with a trailing slash dropped, or None when it is not canonical: a
    ``.`` or ``..`` segment or an empty one (``//``). Every check runs on this form."""
    segments = path.split("/")
    inner = segments[1:-1] if path.endswith("/") else segments[1:]
    if not path.startswith("/") or any(s in ("", ".", "..") for s in inner):
        return None
    return "/" + "/".join(inner) if inner else "/"


def page_at(path: str) -> dict | None:
    """The registered page (``dash.page_registry``) that Dash's router renders for
    ``path``: it compares paths without their outer slashes, as here."""
    wanted = path.strip("/")
    for registered in dash.page_registry.values():
        if registered["path"].strip("/") == wanted:
            return registered
    return None


def page_roles(registered: dict) -> tuple[str, ...]:
    """The roles a page declares with ``register_page(..., roles=...)``; admins besides."""
    return tuple(registered.get("roles") or ())


class Forbidden(PermissionError):
    """The signed-in user's role may not do this (raised inside callbacks)."""


# ---------------------------------------------------------------------------- users


def _check_name(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise UserError(f"user name {username!r}: 1 to 64 characters without spaces")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password or "") < 8:
        raise UserError("a password needs at least 8 characters")
    return password


def _centres_text(centres: Iterable[str] | str | None) -> str:
    if centres is None or centres == "*":
        return "*"
    if isinstance(centres, str):
        centres = centres.split(",")
    ids = sorted({c.strip() for c in centres if c.strip()})
    return ",".join(ids) if ids else "*"


def _user(row) -> User:
    centres = None if row["centres"] == "*" else tuple(row["centres"].split(","))
    return User(row["username"], row["role"], centres)


def add_user(
    state: AppState,
    username: str,
    password: str,
    role: str,
    centres: Iterable[str] | str | None = None,
    *,
    hasher: PasswordHasher = _hasher,
) -> User:
    """Create a user (argon2id hash of the password); an existing name is an error.
    ``hasher``: other argon2 parameters, for test fixtures only (a log-in costs what the
    stored hash's parameters say)."""
    name, role = _check_name(username), _check_role(role)
    digest = hasher.hash(_check_password(password))
    now = utc_now()
    text = _centres_text(centres)
    with state.connect() as con:
        if con.execute("SELECT 1 FROM users WHERE username = ?", [name]).fetchone():
            raise UserError(f"user {name!r} exists already")
        con.execute(
            "INSERT INTO users (username, password_hash, role, centres, disabled, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
            [name, digest, role, text, now, now],
        )
    return User(name, role, None if text == "*" else tuple(text.split(",")))


def update_user(
    state: AppState,
    username: str,
    *,
    role: str | None = None,
    centres: Iterable[str] | str | None = ...,  # type: ignore[assignment]
    disabled: bool | None = None,
    password: str | None = None,
) -> None:
    """Change a user's role, centres, disabled flag or password. Disabling or a new
    password ends the user's sessions."""
    sets, params = [], []
    if role is not None:
        sets.append("role = ?")
        params.append(_check_role(role))
    if centres is not ...:
        sets.append("centres = ?")
        params.append(_centres_text(centres))
    if disabled is not None:
        sets.append("disabled = ?")
        params.append(1 if disabled else 0)
    if password is not None:
        sets.append("password_hash = ?")
        params.append(_hasher.hash(_check_password(password)))
    if not sets:
        return
    with state.connect() as con:
        cur = con.execute(
            f"UPDATE users SET {', '.join(sets)}, updated_at = ? WHERE username = ?",
            [*params, utc_now(), username],
        )
        if cur.rowcount == 0:
            raise UserError(f"no user {username!r}")
        if disabled or password is not None:
            con.execute("DELETE FROM sessions WHERE username = ?", [username])


def remove_user(state: AppState, username: str) -> None:
    with state.connect() as con:
        if con.execute("DELETE FROM users WHERE username = ?", [username]).rowcount == 0:
            raise UserError(f"no user {username!r}")


def list_users(state: AppState) -> list[dict]:
    with state.connect() as con:
        rows = con.execute(
            "SELECT username, role, centres, disabled, created_at, updated_at FROM users"
            " ORDER BY username"
        ).fetchall()
    return [dict(r) | {"disabled": bool(r["disabled"])} for r in rows]


# ------------------------------------------------------------------ log-in, lock-out


# Failed log-ins slow down what failed, never lock a name hard: (key kind, failures
# allowed before a delay, the longest delay). The pair (client address, name) and the
# address across names may wait up to 15 minutes; a name alone, tried from anywhere, at
# most a minute, so nobody can lock an admin out by typing wrong passwords.
THROTTLES = (
    ("pair", 3, LOCKOUT),
    ("addr", 10, LOCKOUT),
    ("name", 10, dt.timedelta(seconds=60)),
)
FAILURE_WINDOW = dt.timedelta(hours=1)  # failures older than this are forgotten


def throttle_keys(name: str, address: str | None) -> dict[str, str]:
    """The rows of ``login_failures`` a log-in attempt counts against."""
    address = address or "-"
    return {"pair": f"pair:{address}|{name}", "addr": f"addr:{address}", "name": f"name:{name}"}


FIRST_DELAY_S = 5


def delay_after(failures: int, free: int, longest: dt.timedelta) -> dt.timedelta:
    """5 s after the first failure past ``free``, doubling with each, at most ``longest``."""
    if failures <= free:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=FIRST_DELAY_S * 2 ** min(failures - free - 1, 30)), longest)


def wait_s(state: AppState, username: str, address: str | None = None) -> float:
    """Seconds before ``username`` may try again from ``address`` (0: now)."""
    now = dt.datetime.now(dt.UTC)
    keys = list(throttle_keys((username or "").strip(), address).values())
    with state.connect() as con:
        rows = con.execute(
            f"SELECT locked_until FROM login_failures WHERE username IN ({', '.join('?' * len(keys))})"
            " AND locked_until IS NOT NULL",
            keys,
        ).fetchall()
    waits = [(dt.datetime.fromisoformat(r["locked_until"]) - now).total_seconds() for r in rows]
    return max([0.0, *waits])


def authenticate(
    state: AppState, username: str, password: str, address: str | None = None
) -> tuple[User | None, str]:
    """(the user, "ok") when the password is right; else (None, why): "locked" (wait
    first: ``wait_s``), "disabled" or "invalid". A failure grows the delays of the
    attempt's address, name and pair (``THROTTLES``); a success clears its pair."""
    name = (username or "").strip()
    keys = throttle_keys(name, address)
    if wait_s(state, name, address) > 0:
        return None, "locked"  # the password is not even checked: no oracle while waiting
    now = dt.datetime.now(dt.UTC)
    with state.connect() as con:
        row = con.execute(
            "SELECT username, password_hash, role, centres, disabled FROM users WHERE username = ?",
            [name],
        ).fetchone()
        ok = False
        if row is not None:
            try:
                ok = _hasher.verify(row["password_hash"], password or "")
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _hasher.hash(password or "x")  # the same work for unknown names: no timing hint
        if ok and not row["disabled"]:
            con.execute("DELETE FROM login_failures WHERE username = ?", [keys["pair"]])
            return _user(row), "ok"
        for kind, free, longest in THROTTLES:
            key = keys[kind]
            fail = con.execute(
                "SELECT failures, first_at FROM login_failures WHERE username = ?", [key]
            ).fetchone()
            if fail is None or now - dt.datetime.fromisoformat(fail["first_at"]) > FAILURE_WINDOW:
                failures, first_at = 1, now.isoformat(timespec="seconds")
            else:
                failures, first_at = fail["failures"] + 1, fail["first_at"]
            delay = delay_after(failures, free, longest)
            locked = (now + delay).isoformat(timespec="seconds") if delay else None
            con.execute(
                "INSERT INTO login_failures (username, failures, first_at, locked_until)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET"
                " failures = excluded.failures, first_at = excluded.first_at,"
                " locked_until = excluded.locked_until",
                [key, failures, first_at, locked],
            )
    return None, "disabled" if ok else "invalid"


def lockouts(state: AppState) -> list[dict]:
    """The delays in force now (``/admin`` shows them): key, failures, until."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with state.connect() as con:
        rows = con.execute(
            "SELECT username AS key, failures, first_at, locked_until FROM login_failures"
            " WHERE locked_until > ? ORDER BY locked_until DESC",
            [now],
        ).fetchall()
    return [dict(r) for r in rows]


def unlock(state: AppState, name: str) -> int:
    """An admin lifts every delay on a user name (its own and its pairs with addresses)
    or on an ``addr:...`` key; how many rows were cleared."""
    with state.connect() as con:
        if name.startswith(("addr:", "name:", "pair:")):
            cur = con.execute("DELETE FROM login_failures WHERE username = ?", [name])
        else:
            cur = con.execute(
                "DELETE FROM login_failures WHERE username = ? OR username LIKE ? ESCAPE '\\'",
                [f"name:{name}", "pair:%|" + name.replace("%", "\\%").replace("_", "\\_")],
            )
        return cur.rowcount


def start_session(state: AppState, user: User) -> tuple[str, str]:
    """A new session for ``user``: (session id, its CSRF token)."""
    session_id = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with state.connect() as con:
        con.execute("DELETE FROM sessions WHERE expires_at < ?", [now.isoformat()])
        con.execute(
            "INSERT INTO sessions (session_id, username, created_at, last_seen, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                stored_id(session_id),
                user.username,
                now.isoformat(timespec="seconds"),
                now.isoformat(timespec="seconds"),
                (now + SESSION_LIFETIME).isoformat(timespec="seconds"),
            ],
        )
    return session_id, csrf_for(session_id)


def stored_id(session_id: str) -> str:
    """What the sessions table keeps of a session id: its SHA-256, so a reader of the
    app-state file cannot take over a live session with what they read."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_for(session_id: str) -> str:
    """The session's CSRF token: derived, so it needs no column of its own."""
    key = flask.current_app.secret_key if flask.has_app_context() else ""
    return hmac.new(f"{key}".encode(), f"csrf:{session_id}".encode(), "sha256").hexdigest()


def session_user(
    state: AppState, session_id: str, idle: dt.timedelta = IDLE_TIMEOUT
) -> User | None:
    """The user of a live session: not expired, used within ``idle``, user enabled. A
    session found idle is ended; a live one is marked as seen now."""
    now = dt.datetime.now(dt.UTC)
    with state.connect() as con:
        row = con.execute(
            "SELECT u.username, u.role, u.centres, u.disabled, s.last_seen FROM sessions s"
            " JOIN users u USING (username) WHERE s.session_id = ? AND s.expires_at > ?",
            [stored_id(session_id), now.isoformat(timespec="seconds")],
        ).fetchone()
        if row is None or row["disabled"]:
            return None
        seen = dt.datetime.fromisoformat(row["last_seen"])
        if now - seen > idle:
            con.execute("DELETE FROM sessions WHERE session_id = ?", [stored_id(session_id)])
            return None
        if now - seen > TOUCH_EVERY:
            con.execute(
                "UPDATE sessions SET last_seen = ? WHERE session_id = ?",
                [now.isoformat(timespec="seconds"), stored_id(session_id)],
            )
    return _user(row)


def end_session(state: AppState, session_id: str) -> None:
    with state.connect() as con:
        con.execute("DELETE FROM sessions WHERE session_id = ?", [stored_id(session_id)])


# ------------------------------------------------------------------------- the secret


def secret_key(explicit: str | None = None) -> str:
    """The key that signs cookies: ``explicit``, else ``CCA_SECRET_KEY``, else a file
    outside the repository (``$XDG_CONFIG_HOME/contact-centre-analytics/secret_key``),
    generated on first run with mode 0600."""
    if explicit:
        return explicit
    if os.environ.get("CCA_SECRET_KEY"):
        return os.environ["CCA_SECRET_KEY"]
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = base / "contact-centre-analytics" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


# ------------------------------------------------------------ the guard and the routes


def current_user() -> User | None:
    """The signed-in user of this request (set by the guard)."""
    return getattr(flask.g, "user", None) if flask.has_request_context() else None


def require(*roles: str) -> User:
    """The signed-in user if their role is one of ``roles`` (admins always); else raise
    ``Forbidden``. Callbacks call this before reading any data."""
    user = current_user()
    if user is None or (user.role != "admin" and user.role not in roles):
        raise Forbidden("your role may not do this")
    return user


def require_page(path: str) -> User:
    """The signed-in user if they may open the page at ``path`` (callbacks of a page)."""
    found = page_at(path)
    return require(*(page_roles(found) if found is not None else ()))


def _is_json_endpoint(path: str) -> bool:
    return path.startswith("/_dash-") or path.startswith("/_reload") or path.startswith("/api/")


def _safe_next(target: str | None) -> str:
    # only a path on this site: never an open redirect
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _sent_csrf() -> str:
    """The CSRF token a POST carries: Dash's ``X-CSRFToken`` header, or the
    ``csrf_token`` field of an HTML form (the header's Log out button)."""
    sent = flask.request.headers.get("X-CSRFToken", "")
    if not sent and flask.request.mimetype == "application/x-www-form-urlencoded":
        sent = flask.request.form.get("csrf_token", "")
    return sent


# long: the Flask hooks and routes of one server (guard, /login, /logout) as closures over the
# same signer, store and cookie settings
def install(
    server: flask.Flask,
    state: AppState,
    *,
    secure_cookies: bool = False,
    idle: dt.timedelta = IDLE_TIMEOUT,
) -> None:
    """Add the guard, /login and /logout to the Flask server under the Dash app;
    sessions unused for ``idle`` end."""
    signer = URLSafeSerializer(server.secret_key, salt="cca-session")

    def cookie_args(http_only: bool = True) -> dict:
        return {"httponly": http_only, "samesite": "Lax", "secure": secure_cookies, "path": "/"}

    @server.before_request
    def guard():
        flask.g.user = None
        path = canonical_path(flask.request.path)
        if path is None:  # /assets/fonts/../x, //admin: never served, never matched
            return flask.Response("not found\n", 404, mimetype="text/plain")
        token = flask.request.cookies.get(SESSION_COOKIE)
        session_id = None
        if token:
            try:
                session_id = signer.loads(token)
            except BadSignature:
                session_id = None
        if session_id:
            flask.g.user = session_user(state, session_id, idle)
            flask.g.session_id = session_id
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None  # checked on the canonical path: no ../ out of the fonts
        user = flask.g.user
        if user is None:
            if _is_json_endpoint(path) or flask.request.method != "GET":
                return flask.jsonify(error="log in first"), 401
            if path.startswith("/_") or path.startswith("/assets/") or "." in path.rsplit("/")[-1]:
                return flask.Response("log in first\n", 401, mimetype="text/plain")
            return flask.redirect("/login?next=" + quote(flask.request.full_path.rstrip("?")))
        if flask.request.method == "POST":
            if not hmac.compare_digest(_sent_csrf(), csrf_for(session_id)):
                return flask.jsonify(error="missing or wrong CSRF token"), 403
        rule = flask.request.url_rule.rule if flask.request.url_rule else None
        if rule in _DASH_INDEX:  # the page shell: the guard checks the page it will render
            if page_at(path) is None:
                return flask.Response(_page(_NOT_FOUND), 404, mimetype="text/html")
            if not user.may_open(path):
                if user.role == "wallboard":
                    return flask.redirect("/wallboard")
                return flask.Response(_page(_FORBIDDEN), 403, mimetype="text/html")
        return None

    @server.errorhandler(Forbidden)
    def refuse(exc):
        # a callback refused (role, centre, job, alert): nothing of the data leaves the
        # server, and the refusal is audited with what was asked
        user = getattr(flask.g, "user", None)
        body = flask.request.get_json(silent=True) if flask.request.is_json else None
        asked = body.get("output") if isinstance(body, dict) else None
        state.audit(
            user.username if user else None,
            "refused",
            {"why": str(exc), "path": flask.request.path, "output": str(asked or "")[:200]},
        )
        return flask.jsonify(error=str(exc)), 403

    @server.route("/login", methods=["GET", "POST"])
    def login():
        lang = page_language()
        if flask.request.method == "GET":
            token = secrets.token_urlsafe(24)
            response = flask.make_response(
                _login_form(token, lang, flask.request.args.get("next"), None)
            )
            response.set_cookie(LOGIN_CSRF_COOKIE, token, **cookie_args())
            return response
        form = flask.request.form
        expected = flask.request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(form.get("csrf_token", ""), expected):
            return flask.Response(_page(_FORBIDDEN), 403, mimetype="text/html")
        username = form.get("username", "")[:200]
        remote = flask.request.remote_addr
        user, why = authenticate(state, username, form.get("password", ""), remote)
        if user is None:
            wait = wait_s(state, username, remote)
            detail = {"reason": why, "ip": remote} | ({"wait_s": round(wait)} if wait else {})
            state.audit(username[:64], "login_failed", detail)
            if wait and why != "locked":  # this failure started (or lengthened) a delay
                state.audit(username[:64], "locked_out", {"ip": remote, "wait_s": round(wait)})
            token = secrets.token_urlsafe(24)
            # a disabled account reads as a wrong password: the form confirms no password
            shown = "locked" if why == "locked" else "invalid"
            response = flask.make_response(
                _login_form(token, lang, form.get("next"), shown, wait),
                429 if why == "locked" else 401,
            )
            if why == "locked":
                response.headers["Retry-After"] = str(max(1, round(wait)))
            response.set_cookie(LOGIN_CSRF_COOKIE, token, **cookie_args())
            return response
        session_id, csrf = start_session(state, user)
        state.audit(user.username, "login", {"ip": remote})
        target = _safe_next(form.get("next"))
        if target == "/" or not user.may_open(urlparse(target).path):
            target = user.home + (f"?lang={lang}" if lang != DEFAULT else "")
        response = flask.redirect(target)
        response.set_cookie(SESSION_COOKIE, signer.dumps(session_id), **cookie_args())
        response.set_cookie(CSRF_COOKIE, csrf, **cookie_args(http_only=False))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @server.route("/logout", methods=["POST"])
    def logout():
        session_id = getattr(flask.g, "session_id", None)
        if session_id:
            end_session(state, session_id)
            state.audit(flask.g.user.username if flask.g.user else None, "logout")
        response = flask.redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        # a shared PC: the browser drops what it kept of the pages too
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response


# ------------------------------------------------------------------- the log-in page

_WORDS = {
    "title": N_("Contact-centre analytics"),
    "sub": N_("Sign in to your centre's dashboards"),
    "username": N_("User name"),
    "password": N_("Password"),
    "submit": N_("Sign in"),
    "invalid": N_("That user name and password do not match."),
}


def _refusal(status: int, message: str) -> str:
    """A refusal page in every language at once (it is shown before a page's language is
    known to matter): the message from the catalogue, each in its direction."""
    said = "".join(
        f"<p dir='{direction(lang)}'>{html.escape(text)}</p>"
        for lang, text in in_languages(message).items()
    )
    return f"<main class='card'><h1>{status}</h1>{said}<p><a href='/'>Back</a></p></main>"


_NOT_FOUND = _refusal(404, N_("No such page."))
_FORBIDDEN = _refusal(403, N_("Your role may not open this page."))


def _page(body: str, lang: str = "en") -> str:
    return (
        f"<!doctype html><html lang='{lang}' dir='{direction(lang)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Contact-centre analytics</title>"
        "<link rel='stylesheet' href='/assets/login.css'></head>"
        f"<body>{body}</body></html>"
    )


def _login_form(
    token: str, lang: str, next_path: str | None, error: str | None, wait: float = 0
) -> str:
    tr = translator(lang)
    w = {key: tr.gettext(message) for key, message in _WORDS.items()}
    other = other_language(lang)
    w["other"] = LANGUAGE_NAMES[other]
    if error == "locked":
        text = tr.ngettext(  # a count of seconds: Arabic has six forms
            "Too many failed attempts: try again in {n} second.",
            "Too many failed attempts: try again in {n} seconds.",
            max(1, round(wait)),
        )
    else:
        text = w[error] if error else ""
    message = f"<p class='error' role='alert'>{html.escape(text)}</p>" if error else ""
    nxt = html.escape(_safe_next(next_path))
    return _page(
        f"""<main class="card">
  <div class="brand"><span class="logo">◔</span><div><h1>{w["title"]}</h1>
  <p class="sub">{w["sub"]}</p></div></div>
  {message}
  <form method="post" action="/login?lang={lang}">
    <input type="hidden" name="csrf_token" value="{html.escape(token)}">
    <input type="hidden" name="next" value="{nxt}">
    <label for="username">{w["username"]}</label>
    <input id="username" name="username" autocomplete="username" required autofocus>
    <label for="password">{w["password"]}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit">{w["submit"]}</button>
  </form>
  <p class="lang"><a href="/login?lang={other}">{w["other"]}</a></p>
</main>""",
        lang,
    )
