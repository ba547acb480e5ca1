"""Caller pseudonyms: a keyed hash of each caller's number, whose key is not in the store.

A caller's number (``caller_id``) never reaches the store. What is stored is

    caller_hash = HMAC-SHA256(key, sha256(salt || caller_id))        (hex)

``salt`` is the store's own (``meta.caller_salt``); ``key`` lives outside the store:
``CCA_CALLER_KEY`` (64 hex digits) or, by default, a file created with mode 0600 beside
the dashboards' secret key (``$XDG_CONFIG_HOME/contact-centre-analytics/caller_key``).
Someone holding only the store file cannot test candidate numbers (a Bahraini mobile is
one of a few million): without the key no candidate's hash can be computed. The same
caller gets the same pseudonym in every load made with the same key, so repeat callers
can still be counted.

Stores written before the key (``sha256(salt || caller_id)`` alone) are re-keyed on
their next load (``rekey``): each stored hash h becomes HMAC(key, h), exactly what a new
load computes for the same number, so a caller stays the same caller across old and new
loads. ``meta.caller_pseudonym`` then records the scheme and the key's fingerprint; a
load with another key is refused rather than splitting callers in two. Losing the key
means new loads can no longer be matched with stored callers: keep it with the backups
of the secret key, never with the store.

HMAC is computed in SQL from DuckDB's ``sha256`` (RFC 2104: the key padded to the block,
XORed with the inner and outer pads), so a load hashes its calls in one vectorised pass.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from analytics import snapshot_cache
from analytics.call_log import rekey_caller_hashes

KEY_ENV = "CCA_CALLER_KEY"
SCHEME = "hmac-sha256"
_BLOCK = 64  # SHA-256's block size in bytes


class CallerKeyError(ValueError):
    """The caller key is missing, malformed, or not the one the store was keyed with."""


def key_path() -> Path:
    """Where the default key file lives: beside the dashboards' ``secret_key``."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "contact-centre-analytics" / "caller_key"


def caller_key() -> bytes:
    """The key: ``CCA_CALLER_KEY`` (hex), else the key file (created 0600 on first use)."""
    text = os.environ.get(KEY_ENV)
    if not text:
        path = key_path()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it just now
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32) + "\n")
        text = path.read_text().strip()
        where = str(path)
    else:
        where = KEY_ENV
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise CallerKeyError(f"{where}: the caller key must be hex digits") from None
    if len(key) < 16:
        raise CallerKeyError(f"{where}: the caller key needs at least 32 hex digits")
    return key


def fingerprint(key: bytes) -> str:
    """A short public name of the key (safe to store: it reveals nothing of the key)."""
    return hmac.new(key, b"cca caller key fingerprint", "sha256").hexdigest()[:16]


def pseudonym(key: bytes, salt: str, caller_id: str) -> str:
    """One caller's pseudonym, as the SQL below computes it (tests, small tools)."""
    inner = hashlib.sha256((salt + caller_id).encode()).hexdigest()
    return hmac.new(key, inner.encode(), "sha256").hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def _keyed_sql(hex_expr: str) -> str:
    """HMAC-SHA256 of a hex text expression under the bound pads, as hex."""
    return f"sha256($caller_opad || unhex(sha256($caller_ipad || encode({hex_expr}))))"


def pseudonym_sql(ref: str) -> str:
    """SQL of the stored pseudonym of the caller column ``ref`` (needs ``params``)."""
    return _keyed_sql(f"sha256($salt || {ref})")


def params(salt: str, key: bytes) -> dict:
    """The parameters ``pseudonym_sql`` binds: the store's salt and the key's pads."""
    inner, outer = _pads(key)
    return {"salt": salt, "caller_ipad": inner, "caller_opad": outer}


def unkeyed(con) -> bool:
    """Whether the store holds caller hashes not yet under a key (an older store). Read
    once per snapshot (``analytics.snapshot_cache``): it scans the calls."""

    def read() -> bool:
        if _scheme_row(con):
            return False
        return bool(
            con.execute("SELECT count(*) FROM calls WHERE caller_hash IS NOT NULL").fetchall()[0][0]
        )

    return snapshot_cache.value(con, "unkeyed callers", read)


def rekey(con, key: bytes) -> int:
    """Bring the store's caller hashes under ``key`` (in the caller's write transaction):
    unkeyed hashes of an older store become HMAC(key, hash); a store keyed with another
    key is refused. Returns the number of calls re-keyed."""
    row = _scheme_row(con)
    wanted = f"{SCHEME}:{fingerprint(key)}"
    if row:
        if row[0][0] != wanted:
            raise CallerKeyError(
                f"the store's caller pseudonyms were made with another key "
                f"({row[0][0]}, this one is {wanted}): set {KEY_ENV} or {key_path()} to "
                "that key"
            )
        return 0
    inner, outer = _pads(key)
    changed = con.execute("SELECT count(*) FROM calls WHERE caller_hash IS NOT NULL").fetchall()[0][
        0
    ]
    if changed:  # through the call log, the one writer of calls
        rekey_caller_hashes(
            con, _keyed_sql("caller_hash"), {"caller_ipad": inner, "caller_opad": outer}
        )
    con.execute("INSERT INTO meta VALUES ('caller_pseudonym', ?)", [wanted])
    snapshot_cache.put(con, "caller pseudonym", [(wanted,)])
    snapshot_cache.put(con, "unkeyed callers", False)
    return changed


def _scheme_row(con) -> list:
    """The store's ``meta.caller_pseudonym`` row (none before its callers are keyed), read
    once per snapshot (``analytics.snapshot_cache``)."""
    return snapshot_cache.value(
        con,
        "caller pseudonym",
        lambda: con.execute("SELECT value FROM meta WHERE key = 'caller_pseudonym'").fetchall(),
    )
