"""Live events: one line of a followed feed read as a call event or an agent event.

Three sources, one vocabulary:

* the **Asterisk queue_log** (``time|callid|queue|agent|EVENT|data...``, see
  :mod:`analytics.formats.queue_log`): call events (ENTERQUEUE, CONNECT, the closing
  events) and agent events (ADDMEMBER, REMOVEMEMBER, AGENTLOGIN, AGENTLOGOFF, PAUSE and
  UNPAUSE with their reason, PAUSEALL, UNPAUSEALL). A line is malformed by the same rules
  as in a batch load (too few fields, a time that is not a number, an event that is not
  a name, a call event without a call id, an agent event without an agent);
* **Amazon Connect's agent event stream** (Kinesis, one JSON record a line): each record
  carries the agent's whole current snapshot, so the state is read from it directly;
* **Amazon Connect contact events** (EventBridge, one JSON event a line): QUEUED,
  CONNECTED_TO_AGENT, DISCONNECTED... of a contact.

Agent states: ``logged_out``, ``available``, ``ringing``, ``on_call``, ``wrap_up`` and
``paused`` (with a reason). The queue_log writes no wrap-up event of its own: a pause
whose reason is one of :data:`WRAP_UP_REASONS` (how agents and dialers mark after-call
work) is wrap-up, any other pause a break with that reason. The queue_log tells a ring
only once it is over (RINGNOANSWER's ring time in ms, a CONNECT's ring seconds): the
follower writes it into the state history (``ring_seconds``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from analytics.formats.queue_log import (
    CALL_EVENTS,
    CLOSING,
    LOGGED_IN,
    LOGGED_OFF,
    PAUSES,
    SESSION_EVENTS,
)

STATES = ("logged_out", "available", "ringing", "on_call", "wrap_up", "paused")
WRAP_UP_REASONS = frozenset({"wrap-up", "wrapup", "wrap_up", "acw", "after call work"})
_EVENT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class Malformed(ValueError):
    """A line that is not an event of its feed's format (the message says why)."""


@dataclass(frozen=True)
class QueueLogEvent:
    """One queue_log line: its time (UNIX s), call id, queue, agent, event and data."""

    epoch: float
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    @property
    def is_call(self) -> bool:
        return self.event in CALL_EVENTS

    @property
    def is_session(self) -> bool:
        return self.event in SESSION_EVENTS

    @property
    def closes(self) -> bool:
        return self.event in CLOSING

    @property
    def call_key(self) -> str:
        """A queue visit's key: the caller's channel id and the queue."""
        return f"{self.callid}@{self.queue}"


def parse_queue_log_line(text: str) -> QueueLogEvent | None:
    """The event of one queue_log line, None for a blank line; raises :class:`Malformed`."""
    if not text.strip():
        return None
    f = text.split("|")
    if len(f) < 5 or f[4] == "":
        raise Malformed(
            f"has {len(f)} field(s); a queue_log line is time|callid|queue|agent|event|data..."
        )
    try:
        epoch = float(f[0])
    except ValueError:
        raise Malformed(f"the time {f[0]} is not a UNIX time in seconds") from None
    event = f[4]
    if not _EVENT_NAME.fullmatch(event):
        raise Malformed(f"the event {event} is not an event name")
    if event in CALL_EVENTS and f[1] in ("", "NONE"):
        raise Malformed("a call event without a call id")
    if event in SESSION_EVENTS and f[3] in ("", "NONE"):
        raise Malformed("an agent event without an agent")
    return QueueLogEvent(epoch, f[1], f[2], f[3], event, tuple(f[5:]))


@dataclass
class AgentPresence:
    """What the queue_log has said about one agent so far."""

    queues: set[str]
    logged_in: bool = False  # AGENTLOGIN (as opposed to queue membership)
    paused: bool = False
    reason: str | None = None
    on_call: str | None = None  # the call key being handled
    static: bool = False  # seen answering without a log-in: a static member

    def state(self) -> tuple[str, str | None]:
        """(state, pause reason) as the wallboard counts it."""
        if self.on_call is not None:
            return "on_call", None
        if not (self.queues or self.logged_in or self.static):
            return "logged_out", None
        if self.paused:
            if (self.reason or "").strip().lower() in WRAP_UP_REASONS:
                return "wrap_up", None
            return "paused", self.reason or None
        return "available", None


def apply_agent_event(p: AgentPresence, e: QueueLogEvent) -> None:
    """Move one agent's presence on by a queue_log event naming it."""
    if e.event in LOGGED_IN:
        if e.event == "ADDMEMBER":
            p.queues.add(e.queue)
        else:
            p.logged_in = True
    elif e.event in LOGGED_OFF:
        if e.event == "REMOVEMEMBER":
            p.queues.discard(e.queue)
        else:
            p.logged_in = False
            p.queues.clear()
        if not (p.queues or p.logged_in):
            p.paused, p.reason, p.static = False, None, False
    elif e.event in PAUSES:
        if e.event.startswith("UN"):
            p.paused, p.reason = False, None
        else:
            p.paused = True
            p.reason = (e.data[0] if e.data else "") or None
            if not (p.queues or p.logged_in):
                p.static = True  # pausing means logged in
    elif e.event == "CONNECT":
        p.on_call = e.call_key
        if not (p.queues or p.logged_in):
            p.static = True
    elif e.closes and p.on_call == e.call_key:
        p.on_call = None


# --------------------------------------------------------------------------- Amazon Connect


def _json_object(text: str) -> dict:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Malformed(f"is not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise Malformed("is not a JSON object (one event a line)")
    return doc


def instant(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time as Connect writes it (``2024-09-01T08:00:10Z``), UTC."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"the time {text!r} is not ISO 8601") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _arn_name(arn: str | None) -> str | None:
    return arn.rsplit("/", 1)[-1] if arn else None


@dataclass(frozen=True)
class ConnectAgentEvent:
    """One record of Connect's agent event stream, reduced to the agent's state now."""

    event_id: str
    at: dt.datetime
    agent_id: str
    state: str
    reason: str | None
    queues: tuple[str, ...]


# Contact states in an agent's snapshot, and the agent state each one means.
_CONTACT_STATES = {
    "INCOMING": "ringing",
    "PENDING": "ringing",
    "CONNECTING": "ringing",
    "CONNECTED": "on_call",
    "CONNECTED_ONHOLD": "on_call",
    "ENDED": "wrap_up",  # after contact work
    "MISSED": "paused",
    "ERROR": "paused",
    "REJECTED": "paused",
}
_RANK = {"on_call": 3, "ringing": 2, "wrap_up": 1, "paused": 0}


def parse_connect_agent_event(text: str) -> ConnectAgentEvent | None:
    """An agent event's state (None for a blank line or a HEART_BEAT without news)."""
    if not text.strip():
        return None
    doc = _json_object(text)
    event_id = doc.get("EventId")
    if not event_id:
        raise Malformed("an agent event without EventId")
    at = instant(doc.get("EventTimestamp"))
    if at is None:
        raise Malformed("an agent event without EventTimestamp")
    kind = doc.get("EventType")
    snap = doc.get("CurrentAgentSnapshot") or {}
    config = snap.get("Configuration") or {}
    agent = config.get("Username") or _arn_name(doc.get("AgentARN"))
    if not agent:
        raise Malformed("an agent event without Configuration.Username or AgentARN")
    status = ((snap.get("AgentStatus") or {}).get("Name") or "").strip()
    contacts = [c for c in snap.get("Contacts") or [] if isinstance(c, dict)]
    queues = tuple(
        sorted(
            {
                q.get("Name")
                for q in ((config.get("RoutingProfile") or {}).get("Queues") or [])
                if isinstance(q, dict) and q.get("Name")
            }
        )
    )
    if kind == "LOGOUT" or status.lower() == "offline" and not contacts:
        return ConnectAgentEvent(event_id, at, agent, "logged_out", None, queues)
    states = [_CONTACT_STATES.get(str(c.get("State", "")).upper()) for c in contacts]
    states = [s for s in states if s and s != "paused"]
    if states:
        return ConnectAgentEvent(event_id, at, agent, max(states, key=_RANK.get), None, queues)
    if status.lower() == "available":
        return ConnectAgentEvent(event_id, at, agent, "available", None, queues)
    return ConnectAgentEvent(event_id, at, agent, "paused", status or None, queues)


@dataclass(frozen=True)
class ConnectContactEvent:
    """One Connect contact event: the contact, what happened, and the fields known."""

    event_id: str
    at: dt.datetime
    contact_id: str
    event_type: str
    queue: str | None
    enqueued_at: dt.datetime | None
    connected_at: dt.datetime | None
    agent_id: str | None
    disconnected_at: dt.datetime | None
    disconnect_reason: str | None
    channel: str | None


def parse_connect_contact_event(text: str) -> ConnectContactEvent | None:
    """A contact event (EventBridge ``Amazon Connect Contact Event``), or None if blank."""
    if not text.strip():
        return None
    doc = _json_object(text)
    detail = doc.get("detail") if isinstance(doc.get("detail"), dict) else doc
    contact = detail.get("contactId") or detail.get("ContactId")
    kind = detail.get("eventType") or detail.get("EventType")
    if not contact or not kind:
        raise Malformed("a contact event without contactId and eventType")
    queue_info = detail.get("queueInfo") or {}
    agent_info = detail.get("agentInfo") or {}
    at = instant(doc.get("time")) or instant(detail.get("disconnectTimestamp"))
    enqueued = instant(queue_info.get("enqueueTimestamp"))
    connected = instant(agent_info.get("connectedToAgentTimestamp"))
    at = at or connected or enqueued or instant(detail.get("initiationTimestamp"))
    if at is None:
        raise Malformed("a contact event without a time")
    event_id = doc.get("id") or f"{contact}:{kind}:{at.isoformat()}"
    return ConnectContactEvent(
        event_id=str(event_id),
        at=at,
        contact_id=str(contact),
        event_type=str(kind).upper(),
        queue=queue_info.get("queueName") or _arn_name(queue_info.get("queueArn")),
        enqueued_at=enqueued,
        connected_at=connected,
        agent_id=agent_info.get("username") or _arn_name(agent_info.get("agentArn")),
        disconnected_at=instant(detail.get("disconnectTimestamp")),
        disconnect_reason=detail.get("disconnectReason"),
        channel=detail.get("channel"),
    )


RING_ENDS = ("RINGNOANSWER", "RINGCANCELED")


def ring_seconds(ev) -> float:
    """How long an agent's phone rang, as the queue_log tells it after the ring: a
    ``RINGNOANSWER`` (or ``RINGCANCELED``, the caller gone) carries the ring time in ms;
    a ``CONNECT`` the seconds it rang before the agent answered (its third field, Asterisk
    1.6 and later). 0 when the line does not say."""
    if ev.event in RING_ENDS:
        text, scale = (ev.data[0] if ev.data else ""), 1000.0
    elif ev.event == "CONNECT":
        text, scale = (ev.data[2] if len(ev.data) > 2 else ""), 1.0
    else:
        return 0.0
    try:
        value = float(text) / scale
    except ValueError:
        return 0.0
    return value if 0 < value < 86400 else 0.0


def contact_record(lines: list) -> dict:
    """A contact record (as ``connect_ctr`` reads it) from a contact's events (lines
    with the ``epoch`` and ``text`` of each)."""
    events = [parse_connect_contact_event(c.text) for c in sorted(lines, key=lambda c: c.epoch)]
    first = events[0]
    pick: dict = {}
    for e in events:
        for name in (
            "queue",
            "enqueued_at",
            "connected_at",
            "agent_id",
            "disconnected_at",
            "disconnect_reason",
            "channel",
        ):
            value = getattr(e, name)
            if value is not None:
                pick[name] = value

    def iso(t: dt.datetime | None) -> str | None:
        return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t else None

    connected, ended = pick.get("connected_at"), pick.get("disconnected_at")
    agent = None
    if connected is not None:
        agent = {
            "Username": pick.get("agent_id"),
            "ConnectedToAgentTimestamp": iso(connected),
            "AgentInteractionDuration": (
                round((ended - connected).total_seconds()) if ended else None
            ),
        }
    return {
        "ContactId": first.contact_id,
        "Channel": pick.get("channel") or "VOICE",
        "DisconnectTimestamp": iso(ended),
        "DisconnectReason": pick.get("disconnect_reason"),
        "LastUpdateTimestamp": iso(max(e.at for e in events)),
        "Queue": {
            "Name": pick.get("queue"),
            "EnqueueTimestamp": iso(pick.get("enqueued_at")),
            "DequeueTimestamp": iso(connected or ended),
        }
        if pick.get("enqueued_at")
        else None,
        "Agent": agent,
    }
