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
import hmac
import html
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import flask
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from analytics.appstate import AppState, utc_now
from analytics.translation import (
    DEFAULT,
    LANGUAGE_NAMES,
    N_,
    direction,
    other_language,
    translator,
)
from dashboards.context import page_language

ROLES = ("admin", "manager", "planner", "executive", "wallboard")

# Which roles open each page (docs/architecture.md's table); admins open everything.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "/": ("admin", "manager", "planner", "executive"),
    "/categories": ("admin", "manager", "planner"),
    "/intraday": ("admin", "manager", "planner"),
    "/tickets": ("admin", "manager"),
    "/sites": ("admin", "manager"),
    "/planner": ("admin", "manager", "planner"),
    "/reports": ("admin", "manager", "executive"),
    "/wallboard": ("admin", "manager", "wallboard"),
    "/admin": ("admin",),
}
# Where each role lands after logging in.
HOME = {"wallboard": "/wallboard"}

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)
SESSION_COOKIE = "cca_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's front end reads
LOGIN_CSRF_COOKIE = "cca_login_csrf"

# Reachable without a session: the log-in form and what it shows.
PUBLIC_PATHS = ("/login",)
PUBLIC_PREFIXES = ("/assets/fonts/", "/assets/login.css", "/assets/favicon")

_hasher = PasswordHasher()


class UserError(ValueError):
    """A user-management request that cannot be done as asked."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    centres: tuple[str, ...] | None  # None: every centre

    def may_open(self, path: str) -> bool:
        roles = PAGE_ROLES.get(path)
        return roles is not None and self.role in roles

    def may_see(self, centre_id: str) -> bool:
        return self.centres is None or centre_id in self.centres

    def visible(self, centre_ids: Iterable[str]) -> list[str]:
        return [c for c in centre_ids if self.may_see(c)]

    @property
    def home(self) -> str:
        return HOME.get(self.role, "/")


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
) -> User:
    """Create a user (argon2id hash of the password); an existing name is an error."""
    name, role = _check_name(username), _check_role(role)
    digest = _hasher.hash(_check_password(password))
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


def authenticate(state: AppState, username: str, password: str) -> tuple[User | None, str]:
    """(the user, "ok") when the password is right; else (None, why): "locked",
    "disabled" or "invalid". Failures count towards the lock-out."""
    name = (username or "").strip()
    now = dt.datetime.now(dt.UTC)
    with state.connect() as con:
        fail = con.execute(
            "SELECT failures, first_at, locked_until FROM login_failures WHERE username = ?",
            [name],
        ).fetchone()
        if fail and fail["locked_until"] and dt.datetime.fromisoformat(fail["locked_until"]) > now:
            return None, "locked"
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
            con.execute("DELETE FROM login_failures WHERE username = ?", [name])
            return _user(row), "ok"
        if ok:
            return None, "disabled"
        # a failure: count it within the window, lock at the fifth
        if fail is None or now - dt.datetime.fromisoformat(fail["first_at"]) > LOCKOUT:
            failures, first_at = 1, now.isoformat(timespec="seconds")
        else:
            failures, first_at = fail["failures"] + 1, fail["first_at"]
        locked = (now + LOCKOUT).isoformat(timespec="seconds") if failures >= MAX_FAILURES else None
        con.execute(
            "INSERT INTO login_failures (username, failures, first_at, locked_until)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET"
            " failures = excluded.failures, first_at = excluded.first_at,"
            " locked_until = excluded.locked_until",
            [name, failures, first_at, locked],
        )
        return None, "locked" if locked else "invalid"


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
                session_id,
                user.username,
                now.isoformat(timespec="seconds"),
                now.isoformat(timespec="seconds"),
                (now + SESSION_LIFETIME).isoformat(timespec="seconds"),
            ],
        )
    return session_id, csrf_for(session_id)


def csrf_for(session_id: str) -> str:
    """The session's CSRF token: derived, so it needs no column of its own."""
    key = flask.current_app.secret_key if flask.has_app_context() else ""
    return hmac.new(f"{key}".encode(), f"csrf:{session_id}".encode(), "sha256").hexdigest()


def session_user(state: AppState, session_id: str) -> User | None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with state.connect() as con:
        row = con.execute(
            "SELECT u.username, u.role, u.centres, u.disabled FROM sessions s"
            " JOIN users u USING (username) WHERE s.session_id = ? AND s.expires_at > ?",
            [session_id, now],
        ).fetchone()
    if row is None or row["disabled"]:
        return None
    return _user(row)


def end_session(state: AppState, session_id: str) -> None:
    with state.connect() as con:
        con.execute("DELETE FROM sessions WHERE session_id = ?", [session_id])


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
    return require(*PAGE_ROLES.get(path, ("admin",)))


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


def install(server: flask.Flask, state: AppState, *, secure_cookies: bool = False) -> None:
    """Add the guard, /login and /logout to the Flask server under the Dash app."""
    signer = URLSafeSerializer(server.secret_key, salt="cca-session")

    def cookie_args(http_only: bool = True) -> dict:
        return {"httponly": http_only, "samesite": "Lax", "secure": secure_cookies, "path": "/"}

    @server.before_request
    def guard():
        path = flask.request.path
        flask.g.user = None
        token = flask.request.cookies.get(SESSION_COOKIE)
        session_id = None
        if token:
            try:
                session_id = signer.loads(token)
            except BadSignature:
                session_id = None
        if session_id:
            flask.g.user = session_user(state, session_id)
            flask.g.session_id = session_id
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None
        user = flask.g.user
        if user is None:
            if _is_json_endpoint(path) or flask.request.method != "GET":
                return flask.jsonify(error="log in first"), 401
            if path.startswith("/_") or path.startswith("/assets/") or "." in path.rsplit("/")[-1]:
                return flask.Response("log in first\n", 401, mimetype="text/plain")
            return flask.redirect("/login?next=" + quote(flask.request.full_path.rstrip("?")))
        if flask.request.method == "POST":
            sent = flask.request.headers.get("X-CSRFToken", "")
            if not hmac.compare_digest(sent, csrf_for(session_id)):
                return flask.jsonify(error="missing or wrong CSRF token"), 403
        if path in PAGE_ROLES and not user.may_open(path):
            if user.role == "wallboard":
                return flask.redirect("/wallboard")
            return flask.Response(_page(_FORBIDDEN), 403, mimetype="text/html")
        return None

    @server.errorhandler(Forbidden)
    def refuse(exc):
        # a callback whose role check failed: nothing of the data leaves the server
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
        username = form.get("username", "")
        user, why = authenticate(state, username, form.get("password", ""))
        remote = flask.request.remote_addr
        if user is None:
            state.audit(username[:64], "login_failed", {"reason": why, "ip": remote})
            token = secrets.token_urlsafe(24)
            response = flask.make_response(
                _login_form(token, lang, form.get("next"), why), 401 if why != "locked" else 429
            )
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
        return response


# ------------------------------------------------------------------- the log-in page

_WORDS = {
    "title": N_("Contact-centre analytics"),
    "sub": N_("Sign in to your centre's dashboards"),
    "username": N_("User name"),
    "password": N_("Password"),
    "submit": N_("Sign in"),
    "invalid": N_("That user name and password do not match."),
    "locked": N_("Too many failed attempts: this account is locked for 15 minutes."),
    "disabled": N_("This account is disabled. Ask an administrator."),
}

_FORBIDDEN = (
    "<main class='card'><h1>403</h1><p>Your role may not open this page.</p>"
    "<p dir='rtl'>لا تسمح صلاحيتك بفتح هذه الصفحة.</p><p><a href='/'>Back</a></p></main>"
)


def _page(body: str, lang: str = "en") -> str:
    return (
        f"<!doctype html><html lang='{lang}' dir='{direction(lang)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Contact-centre analytics</title>"
        "<link rel='stylesheet' href='/assets/login.css'></head>"
        f"<body>{body}</body></html>"
    )


def _login_form(token: str, lang: str, next_path: str | None, error: str | None) -> str:
    tr = translator(lang)
    w = {key: tr.gettext(message) for key, message in _WORDS.items()}
    other = other_language(lang)
    w["other"] = LANGUAGE_NAMES[other]
    message = f"<p class='error' role='alert'>{html.escape(w[error])}</p>" if error else ""
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
