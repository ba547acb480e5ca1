"""Where alerts go: webhooks and e-mail, each delivery logged, none blocking another.

* **Webhook** — an HTTP POST of the alert's JSON (``Content-Type: application/json``,
  UTF-8) to the channel's ``url``. Each attempt has ``timeout_s``; a connection error, a
  timeout or a status outside 2xx is retried ``retries`` times with a doubling back-off
  from ``backoff_s``. The outcome is one ``sent`` or ``failed`` row of the alerts log with
  the attempts and the last status or error.
* **E-mail** — one message per alert over SMTP to the channel's ``to`` list, the subject
  and body in English and Arabic (``lang``), ``text/plain`` UTF-8. The server comes from
  the environment: ``CCA_SMTP_HOST`` (required), ``CCA_SMTP_PORT`` (587),
  ``CCA_SMTP_STARTTLS`` (1; 0 for a local relay), ``CCA_SMTP_USER`` and
  ``CCA_SMTP_PASSWORD`` (log in when a user is set), ``CCA_SMTP_FROM``
  (default ``cca-alerts@<host>``), ``CCA_SMTP_TIMEOUT_S`` (10).

``Dispatcher`` runs every delivery on its own worker thread, so a webhook that hangs
delays nobody: the e-mail and the other webhooks go out meanwhile, and the watcher goes
on checking. ``wait()`` joins the deliveries in flight (the watcher calls it when it
stops; tests call it to read the log).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from analytics.appstate import AppState
from analytics.translation import N_, gettext
from simulation.operations.alerts.rules import Channel
from simulation.operations.alerts.state import log_event

SEVERITY_WORDS = {"warning": N_("Warning"), "critical": N_("Critical")}


def post_webhook(alert: Mapping, config: Mapping) -> dict:
    """POST ``alert`` to ``config["url"]`` with retries; returns the outcome dict:
    ``ok``, ``attempts``, ``status`` (last HTTP status or None) and ``error``."""
    body = json.dumps(alert, ensure_ascii=False, default=str).encode("utf-8")
    retries = int(config.get("retries", 2))
    backoff = float(config.get("backoff_s", 1.0))
    status, error = None, None
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(
            config["url"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "cca"},
        )
        try:
            with urllib.request.urlopen(request, timeout=float(config.get("timeout_s", 5))) as r:
                status, error = r.status, None
                if 200 <= r.status < 300:
                    return {"ok": True, "attempts": attempt, "status": status, "error": None}
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, urllib.error.URLError) as exc:  # refused, reset, timed out
            status, error = None, f"{type(exc).__name__}: {exc}"
        if attempt <= retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    return {"ok": False, "attempts": retries + 1, "status": status, "error": error}


def email_message(alert: Mapping, to: list[str], langs: list[str], sender: str) -> EmailMessage:
    """The alert as an e-mail: subject and body in each of ``langs`` (en, ar)."""
    message = alert.get("message") or {}
    severity = alert.get("severity", "warning")
    subjects, parts = [], []
    for lang in langs:
        word = gettext(lang, SEVERITY_WORDS[severity])
        subjects.append(f"[{word}] {alert['centre_id']} · {alert['rule']}")
        parts.append(f"{word}: {message.get(lang, '')}")
    figures = {k: v for k, v in alert.items() if k != "message"}
    body = (
        "\n\n".join(parts) + "\n\n" + json.dumps(figures, ensure_ascii=False, indent=2, default=str)
    )
    msg = EmailMessage()
    msg["Subject"] = " / ".join(dict.fromkeys(subjects))
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(body, charset="utf-8")
    return msg


def send_email(alert: Mapping, config: Mapping, env: Mapping[str, str] | None = None) -> dict:
    """Send the alert to ``config["to"]`` over SMTP (settings from ``env``, default the
    process environment); returns ``ok``, ``attempts``, ``error``."""
    env = os.environ if env is None else env
    host = env.get("CCA_SMTP_HOST")
    if not host:
        return {"ok": False, "attempts": 0, "error": "CCA_SMTP_HOST is not set"}
    port = int(env.get("CCA_SMTP_PORT", "587"))
    starttls = env.get("CCA_SMTP_STARTTLS", "1").lower() not in ("0", "false", "no")
    user, password = env.get("CCA_SMTP_USER"), env.get("CCA_SMTP_PASSWORD", "")
    sender = env.get("CCA_SMTP_FROM") or f"cca-alerts@{host}"
    timeout = float(env.get("CCA_SMTP_TIMEOUT_S", "10"))
    msg = email_message(alert, list(config["to"]), list(config.get("lang", ["en", "ar"])), sender)
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if starttls:
                context = ssl.create_default_context(cafile=env.get("CCA_SMTP_CAFILE"))
                smtp.starttls(context=context)
            if user:
                smtp.login(user, password)
            refused = smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return {"ok": False, "attempts": 1, "error": f"{type(exc).__name__}: {exc}"}
    if refused:
        return {"ok": False, "attempts": 1, "error": f"refused: {sorted(refused)}"}
    return {"ok": True, "attempts": 1, "error": None}


class Dispatcher:
    """Delivers alerts to channels on worker threads and logs every outcome."""

    def __init__(self, state: AppState, max_workers: int = 8, env: Mapping | None = None):
        self.state = state
        self.env = env
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="cca-alert")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()  # done-callbacks run on the worker threads

    def send(self, alert_id: int, alert: Mapping, channels: list[Channel]) -> list[Future]:
        """Queue one delivery per channel; returns their futures (each logs itself)."""
        futures = []
        for channel in channels:
            future = self._pool.submit(self._deliver, alert_id, dict(alert), channel)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._forget)
            futures.append(future)
        return futures

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def _deliver(self, alert_id: int, alert: dict, channel: Channel) -> dict:
        try:
            if channel.type == "webhook":
                outcome = post_webhook(alert, channel.config)
            else:
                outcome = send_email(alert, channel.config, self.env)
        except Exception as exc:  # noqa: BLE001 - a delivery bug must still be logged
            outcome = {"ok": False, "attempts": 1, "error": f"{type(exc).__name__}: {exc}"}
        log_event(
            self.state,
            alert_id,
            alert["centre_id"],
            alert["rule"],
            "sent" if outcome["ok"] else "failed",
            channel=channel.name,
            detail={"type": channel.type, **outcome},
        )
        return outcome

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the deliveries in flight; True if none is left."""
        with self._lock:
            pending = list(self._pending)
        _done, not_done = wait(pending, timeout=timeout_s)
        return not not_done

    def close(self, timeout_s: float | None = None) -> None:
        self.wait(timeout_s)
        self._pool.shutdown(wait=False, cancel_futures=True)
