"""The Asterisk queue log: calls in queues and agent sessions, paired in SQL.

Asterisk's ``app_queue`` writes one line per event to ``/var/log/asterisk/queue_log``::

    1725170400|1725170400.42|support|NONE|ENTERQUEUE||+97317000000|1
    1725170412|1725170400.42|support|PJSIP/alice|CONNECT|12|1725170405.43|3
    1725170592|1725170400.42|support|PJSIP/alice|COMPLETECALLER|12|180|1

``time|callid|queue|agent|event|data1|data2|...`` (UNIX seconds; the caller's channel
uniqueid; the queue; the member; the event and its parameters). The events used:

=====================  ==================================================================
ENTERQUEUE             data1 url, data2 caller id, data3 position: the call joins a queue
CONNECT                data1 wait (s), data2 agent channel uniqueid, data3 ring time (s)
COMPLETECALLER/-AGENT  data1 wait, data2 talk (s), data3 original position: answered,
                       then hung up by the caller / the agent
TRANSFER, BLIND-       data1 extension, data2 context, data3 wait, data4 talk: answered,
TRANSFER               then transferred out of the queue
ATTENDEDTRANSFER       method and target (BRIDGE|id, APP|name, LINK|chan|chan), then
                       wait, talk, position: the wait and talk are read from the end
ABANDON                data1 position, data2 original position, data3 wait: the caller
                       hung up while waiting
EXITWITHTIMEOUT        same fields (older Asterisk: position only): the queue's timeout
EXITEMPTY              same fields: no agents left, the queue let the caller go
EXITWITHKEY            data1 key, data2 position, data3 original position, data4 wait
RINGNOANSWER           data1 ring time (ms): an agent did not pick up (the call waits on)
AGENTLOGIN/-LOGOFF     an agent logs in / off (data1 channel, data2 seconds logged in)
ADDMEMBER/REMOVEMEMBER a member joins / leaves a queue
PAUSE/UNPAUSE(ALL)     a member goes on / comes back from a break
=====================  ==================================================================

**Calls.** Every queue *visit* is one offered call, as the canonical record says ("one
row per call offered to a queue"): a caller who times out of ``sales`` into ``overflow``
is a ``timeout`` of sales and a separate call offered to overflow. That is how each
queue's own service level and staffing are judged (Asterisk's queue statistics and
every ACD report count the same way); counting the caller only at the first queue would
leave the overflow queue's workload out. The call id is ``<uniqueid>@<queue>`` (with
``#2``, ``#3`` for a second and third visit to the same queue), so a visit has the same
id whichever file it is read from. Outcomes: COMPLETE*/TRANSFER events are
``answered``; ABANDON is ``abandoned``; EXITWITHTIMEOUT, EXITEMPTY and EXITWITHKEY are
``timeout`` -- the system ended the wait, or the caller took an exit the queue offered
(voicemail, call-back); none of them is a caller hanging up. ``wait_s`` is Asterisk's
own hold time from the closing event (or, where an old Asterisk leaves it out, the
difference of the timestamps); ``talk_s`` its call time. The queue log records neither
hold nor after-call work, so ``aht_s`` of these calls is talk time. JOINEMPTY, FULL and
JOINUNAVAIL callers never entered a queue and are not offered calls (they are counted
in the load's notes).

**Pairing** happens in DuckDB: each call's events in a queue are ordered by time (then
ENTERQUEUE before CONNECT before the closing event, then line), a running count of
closing events numbers the visits, and one GROUP BY gathers each visit. Lines out of
time order are therefore harmless. A visit whose closing event is not in the file is
*still open* (the call was in progress when the log was rotated): it is read but not
loaded, and it loads with the next file, where its closing event arrives without its
ENTERQUEUE -- arrival and answer times are then reconstructed from the closing event's
wait and talk times. Lines that are not queue-log events (too few fields, a time that is
not a number, an event name that is not a name, a call event without a call id) go to
quarantine with their line number.

**Staffing.** Agent sessions become ``staffing`` rows of 15 minutes: ``agents_available``
is the time-weighted number of agents logged in -- by AGENTLOGIN or as a member of at
least one queue (ADDMEMBER) -- and not paused, so that ``occupancy`` can be reported.
An agent whose first session event in the file is a log-off, removal or unpause was
logged in (or paused) since the file began; an agent with pause events but no log-in or
membership events is a static member, logged in throughout; sessions still open at the
end of the file end there. Pauses are taken agent-wide (whatever queue they name). The
rows are written for every interval the file spans (``queue`` and ``site`` empty,
``agents_scheduled`` unknown) and replace stored rows of those intervals, so a re-load
changes nothing; rotate the log on interval boundaries (midnight, as logrotate does) so
that no interval is split between two files. Agents who only appear answering calls
(static members that never log in or pause) leave no session to count.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np

from analytics.formats import FormatRead, InputFormat, identity_mapping
from analytics.formats.lines import read_numbered_fields
from analytics.store import LOCAL_ROW_ID

INTERVAL_S = 900
ANSWERED = ("COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
TIMED_OUT = ("EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY")
CLOSING = (*ANSWERED, "ABANDON", *TIMED_OUT)
CALL_EVENTS = ("ENTERQUEUE", "CONNECT", *CLOSING)
LOGGED_IN = ("AGENTLOGIN", "AGENTCALLBACKLOGIN", "ADDMEMBER")
LOGGED_OFF = ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF", "REMOVEMEMBER")
PAUSES = ("PAUSE", "PAUSEALL", "UNPAUSE", "UNPAUSEALL")
SESSION_EVENTS = (*LOGGED_IN, *LOGGED_OFF, *PAUSES)
TURNED_AWAY = ("JOINEMPTY", "FULL", "JOINUNAVAIL")
CALL_COLUMNS = [
    "call_id",
    "arrived_at",
    "outcome",
    "wait_s",
    "answered_at",
    "ended_at",
    "talk_s",
    "queue",
    "channel",
    "agent_id",
    "caller_id",
]

# Line kinds in the parsed table.
BLANK, CALL, SESSION, TURNED, OTHER, GARBAGE = 0, 1, 2, 3, 4, 9


def _sql_list(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


# Each known event as a small number, in runs by kind, so that "is one of these events"
# is a range test on a TINYINT instead of a string IN list (DuckDB turns an IN list of
# five or more into a join, which costs a hash probe a line and reorders the rows).
EVENT_CODES = {name: i + 1 for i, name in enumerate((*CALL_EVENTS, *SESSION_EVENTS, *TURNED_AWAY))}


def _code_sql(expr: str) -> str:
    """The event code of an event name (0 for any other text, NULL for NULL)."""
    whens = " ".join(f"WHEN '{n}' THEN {c}" for n, c in EVENT_CODES.items())
    return f"CASE {expr} {whens} ELSE 0 END"


def _is_one_of(code: str, names: tuple[str, ...]) -> str:
    """SQL: ``code`` is the code of one of ``names`` (as ranges of consecutive codes)."""
    codes = sorted(EVENT_CODES[n] for n in names)
    runs: list[list[int]] = []
    for c in codes:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    tests = [f"{code} = {lo}" if lo == hi else f"{code} BETWEEN {lo} AND {hi}" for lo, hi in runs]
    return "(" + " OR ".join(tests) + ")"


def sniff(head: bytes) -> bool:
    """``epoch|callid|queue|agent|EVENT`` on the first non-blank line."""
    import re

    for line in head.splitlines():
        if line.strip():
            return (
                re.match(rb"^\d{9,11}(\.\d+)?\|[^|]*\|[^|]*\|[^|]*\|[A-Z][A-Z0-9_]*", line)
                is not None
            )
    return False


def parse_sql() -> str:
    """One parsed row per line (``__fields__``: c1..c12): its kind and the fields used.

    A projection only (the table keeps the file's order, its ``rowid + 1`` is the row
    number). The cheap test (field count, time, a known event with its ids) runs on
    every line; why a garbage line is garbage is worked out afterwards for those lines
    only (:func:`problem_sql`).
    """
    line_text = (
        "rtrim(concat_ws('|', " + ", ".join(f"coalesce(c{i}, '')" for i in range(1, 13)) + "), '|')"
    )
    code = "code"
    return f"""
    SELECT kind, code, epoch, c2 AS callid, c3 AS queue, c4 AS agent,
        -- Asterisk's wait and talk seconds in each call event (c6 is data1)
        CASE WHEN kind = {CALL} THEN
            CASE WHEN {_is_one_of(code, ("CONNECT", "COMPLETECALLER", "COMPLETEAGENT"))} THEN c6
                 WHEN {code} = {EVENT_CODES["ENTERQUEUE"]} THEN NULL
                 WHEN {code} = {EVENT_CODES["EXITWITHKEY"]} THEN c9
                 WHEN {code} = {EVENT_CODES["ATTENDEDTRANSFER"]}
                     THEN CASE c6 WHEN 'LINK' THEN c9 ELSE c8 END
                 ELSE c8 END END AS wait_text,
        CASE WHEN kind = {CALL} THEN
            CASE WHEN {_is_one_of(code, ("COMPLETECALLER", "COMPLETEAGENT"))} THEN c7
                 WHEN {_is_one_of(code, ("TRANSFER", "BLINDTRANSFER"))} THEN c9
                 WHEN {code} = {EVENT_CODES["ATTENDEDTRANSFER"]}
                     THEN CASE c6 WHEN 'LINK' THEN c10 ELSE c9 END
                 END END AS talk_text,
        CASE WHEN {code} = {EVENT_CODES["ENTERQUEUE"]} THEN c7 END AS callerid,
        CASE WHEN kind = {GARBAGE} THEN {line_text} END AS bad_line
    FROM (SELECT *,
        CASE WHEN c2 IS NULL AND trim(coalesce(c1, '')) = '' THEN {BLANK}
             WHEN ev IS NULL OR epoch IS NULL THEN {GARBAGE}
             WHEN {_is_one_of(code, CALL_EVENTS)} THEN
                CASE WHEN coalesce(c2, 'NONE') = 'NONE' THEN {GARBAGE} ELSE {CALL} END
             WHEN {_is_one_of(code, SESSION_EVENTS)} THEN
                CASE WHEN coalesce(c4, 'NONE') = 'NONE' THEN {GARBAGE} ELSE {SESSION} END
             WHEN {_is_one_of(code, TURNED_AWAY)} THEN {TURNED}
             WHEN regexp_full_match(ev, '[A-Z][A-Z0-9_]*') THEN {OTHER}
             ELSE {GARBAGE} END::TINYINT AS kind
        FROM (SELECT *, TRY_CAST(c1 AS DOUBLE) AS epoch, c5 AS ev,
                     {_code_sql("c5")}::TINYINT AS code
              FROM __fields__))
    """


def numbered(lines: str) -> str:
    """The parsed table with each row's number (``row_no``, 1-based)."""
    return f"(SELECT rowid % {LOCAL_ROW_ID} + 1 AS row_no, * FROM {lines})"


def problem_sql(lines: str) -> str:
    """(line, the line's text, why it is not a queue_log event) for every garbage line."""
    return f"""
    SELECT line, left(bad_line, 200), CASE
        WHEN len(f) < 5 OR f[5] = '' THEN 'has ' || len(f) || ' field(s); a queue_log line '
            || 'is time|callid|queue|agent|event|data...'
        WHEN TRY_CAST(f[1] AS DOUBLE) IS NULL
            THEN 'the time ' || f[1] || ' is not a UNIX time in seconds'
        WHEN f[5] IN {_sql_list(CALL_EVENTS)} THEN 'a call event without a call id'
        WHEN f[5] IN {_sql_list(SESSION_EVENTS)} THEN 'an agent event without an agent'
        ELSE 'the event ' || f[5] || ' is not an event name' END
    FROM (SELECT row_no AS line, bad_line, string_split(bad_line, '|') AS f
          FROM {lines} WHERE kind = {GARBAGE})
    ORDER BY line
    """


def pair_visits(con: duckdb.DuckDBPyConnection, lines: str) -> None:
    """Temp table ``ql_visits``: one row per queue visit of a call, from ``lines``.

    Nearly every call visits a queue once: its events, grouped by (call, queue), hold at
    most one closing event and it is the last in time, so one hash aggregate finds the
    visit. Only the few groups with several visits (a caller back in the same queue, or
    queued again after the closing event) are numbered by a window: a running count of
    closing events in time order, so each visit ends at its closing event; their rows
    replace the group's row (``several``) in place, so that the visits are written once.
    """
    enter, connect = EVENT_CODES["ENTERQUEUE"], EVENT_CODES["CONNECT"]
    events = f"""(
        SELECT row_no AS line, epoch, callid, queue, agent, wait_text, talk_text,
               callerid, code, {_is_one_of("code", CLOSING)} AS closes,
               CASE code WHEN {enter} THEN 0 WHEN {connect} THEN 1 ELSE 2 END AS rank
        FROM {lines} WHERE kind = {CALL})"""
    visit = f"""
            max(epoch) FILTER (WHERE code = {enter}) AS enter_epoch,
            arg_max(callerid, epoch) FILTER (WHERE code = {enter}) AS callerid,
            count(*) FILTER (WHERE code = {enter}) AS entries,
            max(epoch) FILTER (WHERE code = {connect}) AS connect_epoch,
            arg_max(line, epoch) FILTER (WHERE code = {connect}) AS connect_line,
            max(epoch) FILTER (WHERE closes) AS end_epoch,
            any_value(code) FILTER (WHERE closes) AS end_code,
            any_value(line) FILTER (WHERE closes) AS end_line,
            any_value(agent) FILTER (WHERE closes) AS end_agent,
            any_value(wait_text) FILTER (WHERE closes) AS wait_text,
            any_value(talk_text) FILTER (WHERE closes) AS talk_text,
            min(line) AS first_line"""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ql_visits AS
        SELECT * EXCLUDE (closings, last_line),
            NULL::VARCHAR AS connect_agent, NULL::VARCHAR AS connect_wait,
            -- several visits: more than one closing event, or events after the only one
            closings > 1 OR (closings = 1 AND last_line <> end_line) AS several
        FROM (SELECT callid, queue, 0 AS visit, {visit},
                (arg_min(line, epoch * 4 + rank) <> min(line)
                 OR arg_max(line, epoch * 4 + rank) <> max(line))::INTEGER AS out_of_order,
                count(*) FILTER (WHERE closes) AS closings,
                arg_max(line, epoch * 4 + rank) AS last_line
              FROM {events} GROUP BY callid, queue)
        """
    )
    if con.execute("SELECT count(*) FROM ql_visits WHERE several").fetchall()[0][0]:
        _number_repeat_visits(con, events, visit)
    # The CONNECT line's agent and wait are needed only where the closing event lacks
    # the agent or the ENTERQUEUE is missing (a call that queued before the file began):
    # looked up for those visits alone, they are not carried through the aggregate.
    answered = _is_one_of("end_code", ANSWERED)
    needs = (
        f"connect_line IS NOT NULL AND (enter_epoch IS NULL OR ({answered} "
        "AND coalesce(NULLIF(NULLIF(end_agent, ''), 'NONE'), '') = ''))"
    )
    if con.execute(f"SELECT count(*) FROM ql_visits WHERE {needs}").fetchall()[0][0]:
        con.execute(
            f"""
            UPDATE ql_visits SET connect_agent = l.agent, connect_wait = l.wait_text
            FROM {lines} l WHERE l.row_no = ql_visits.connect_line AND {needs}
            """
        )


def _number_repeat_visits(con: duckdb.DuckDBPyConnection, events: str, visit: str) -> None:
    """Replace each ``several`` group of ``ql_visits`` by its visits, numbered."""
    con.execute(
        f"""
        INSERT INTO ql_visits BY NAME
        SELECT callid, queue, visit, {visit},
            (count(*) FILTER (WHERE early) > 0)::INTEGER AS out_of_order, false AS several
        FROM (SELECT *,
                sum(closes::INTEGER) OVER w - closes::INTEGER AS visit,
                line < lag(line) OVER w AS early
              FROM (SELECT e.* FROM {events} e SEMI JOIN
                    (SELECT callid, queue FROM ql_visits WHERE several) s
                    ON e.callid = s.callid AND e.queue = s.queue)
              WINDOW w AS (PARTITION BY callid, queue ORDER BY epoch, rank, line
                           ROWS UNBOUNDED PRECEDING))
        GROUP BY callid, queue, visit
        """
    )
    con.execute("DELETE FROM ql_visits WHERE several")


def calls_sql(visits: str) -> str:
    """Canonical call rows (text where the ingest should validate) from the visits."""
    return f"""
        WITH v AS (
            SELECT *,
                CASE WHEN {_is_one_of("end_code", ANSWERED)} THEN 'answered'
                     WHEN end_code = {EVENT_CODES["ABANDON"]} THEN 'abandoned'
                     WHEN end_code IS NOT NULL THEN 'timeout' END AS outcome,
                TRY_CAST(NULLIF(trim(wait_text), '') AS DOUBLE) AS w,
                TRY_CAST(NULLIF(trim(talk_text), '') AS DOUBLE) AS t
            FROM {visits}),
        s AS (
            SELECT *,
                coalesce(enter_epoch,
                         connect_epoch - coalesce(TRY_CAST(connect_wait AS DOUBLE), w),
                         CASE WHEN outcome = 'answered' THEN end_epoch - t - w
                              ELSE end_epoch - w END) AS start_epoch
            FROM v)
        SELECT
            callid || '@' || queue || CASE WHEN visit > 0 THEN '#' || (visit + 1) ELSE '' END
                AS call_id,
            to_timestamp(start_epoch) AS arrived_at,
            outcome,
            CASE WHEN outcome IS NOT NULL THEN NULLIF(trim(wait_text), '') END AS wait_s,
            CASE WHEN outcome = 'answered'
                 THEN to_timestamp(coalesce(connect_epoch, end_epoch - t)) END AS answered_at,
            to_timestamp(end_epoch) AS ended_at,
            CASE WHEN outcome = 'answered' THEN talk_text END AS talk_s,
            queue,
            'phone' AS channel,
            CASE WHEN outcome = 'answered'
                 THEN coalesce(NULLIF(NULLIF(end_agent, ''), 'NONE'), connect_agent) END
                AS agent_id,
            callerid AS caller_id,
            coalesce(end_line, first_line) AS line,
            outcome IS NOT NULL AS loadable,
            entries, out_of_order
        FROM s
    """


def staffing_sql(lines: str) -> str:
    """Agents available per 15-minute interval from the session events.

    Parameters: file start (epoch s), file end (epoch s).
    """
    n = INTERVAL_S
    return f"""
        WITH s AS (
            SELECT row_no AS line, epoch, agent,
                CASE WHEN {_is_one_of("code", PAUSES)} THEN 'pause'
                     WHEN {_is_one_of("code", ("ADDMEMBER", "REMOVEMEMBER"))} THEN 'q:' || queue
                     ELSE 'login' END AS key,
                CASE WHEN {_is_one_of("code", (*LOGGED_IN, "PAUSE", "PAUSEALL"))} THEN 1
                     ELSE 0 END AS state
            FROM {lines} WHERE kind = {SESSION}),
        d AS (
            -- Before an agent's first event on a key, the state was the opposite of an
            -- "off" event (logging off means logged in until then) and off otherwise.
            SELECT *, coalesce(lag(state) OVER (PARTITION BY agent, key ORDER BY epoch, line),
                               1 - state) AS before,
                   row_number() OVER (PARTITION BY agent, key ORDER BY epoch, line) = 1 AS first
            FROM s),
        initial AS (
            SELECT agent,
                -- an agent with pauses but no log-in or membership is a static member
                coalesce(sum(before) FILTER (WHERE first AND key <> 'pause'), 1) AS logged0,
                coalesce(max(before) FILTER (WHERE first AND key = 'pause'), 0) AS paused0
            FROM d GROUP BY agent),
        timeline AS (
            SELECT d.agent, d.epoch, d.line,
                i.logged0 + sum(CASE WHEN key <> 'pause' THEN state - before ELSE 0 END)
                    OVER w AS logged,
                coalesce(last_value(CASE WHEN key = 'pause' THEN state END IGNORE NULLS)
                    OVER w, i.paused0) AS paused
            FROM d JOIN initial i USING (agent)
            WINDOW w AS (PARTITION BY d.agent ORDER BY d.epoch, d.line
                         ROWS UNBOUNDED PRECEDING)),
        segments AS (
            SELECT agent, epoch AS seg_start,
                coalesce(lead(epoch) OVER (PARTITION BY agent ORDER BY epoch, line), $end)
                    AS seg_end,
                logged > 0 AND paused = 0 AS available
            FROM timeline
            UNION ALL
            SELECT i.agent, $start, min(d.epoch), i.logged0 > 0 AND i.paused0 = 0
            FROM initial i JOIN d USING (agent) GROUP BY i.agent, i.logged0, i.paused0),
        pieces AS (
            SELECT b, least(seg_end, b + {n}) - greatest(seg_start, b) AS seconds
            FROM (SELECT *, unnest(range(CAST(floor(seg_start / {n}) * {n} AS BIGINT),
                                         CAST(ceil(seg_end) AS BIGINT), {n})) AS b
                  FROM segments WHERE available AND seg_end > seg_start)),
        spanned AS (
            SELECT unnest(range(CAST(floor($start / {n}) * {n} AS BIGINT),
                                CAST(ceil($end) AS BIGINT), {n})) AS b)
        SELECT to_timestamp(sp.b) AS interval_start,
               coalesce(sum(p.seconds), 0) / {n} AS agents_available,
               (SELECT count(DISTINCT agent) FROM s) AS agents
        FROM spanned sp LEFT JOIN pieces p ON p.b = sp.b
        GROUP BY sp.b ORDER BY sp.b
    """


def read(
    con: duckdb.DuckDBPyConnection, path: Path, *, centre_id: str, batch_id: int
) -> FormatRead:
    """Read a queue_log into the temp table ``ql_calls`` and write its staffing rows."""
    path = Path(path)
    timings: dict[str, float] = {}
    lap = time.perf_counter()

    def step(name: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        timings[f"queue_log: {name}"] = now - lap
        lap = now

    fields = read_numbered_fields(con, path, "ql_lines", parse_sql())
    step("read and parse lines")
    garbage = con.execute(problem_sql(numbered("ql_lines"))).fetchall()
    rejects = list(fields.rejects)
    if garbage:
        lines = fields.physical(np.array([g[0] for g in garbage]))
        rejects += [
            (int(line), None, value, reason)
            for line, (_row, value, reason) in zip(lines, garbage, strict=True)
        ]
    rejects.sort(key=lambda r: r[0])
    # Staffing first: then the parsed lines can go as soon as the visits are paired.
    notes: list[str] = []
    later: list[str] = []  # reported after the calls' notes
    start, end, turned, sessions = con.execute(
        "SELECT min(epoch), max(epoch), count(*) FILTER (WHERE kind = ?), "
        "count(*) FILTER (WHERE kind = ?) FROM ql_lines WHERE kind IN (?, ?, ?, ?)",
        [TURNED, SESSION, CALL, SESSION, TURNED, OTHER],
    ).fetchall()[0]
    if turned:
        later.append(f"{turned} caller(s) turned away before entering a queue (JOINEMPTY, FULL)")
    if sessions:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE ql_staffing AS {staffing_sql(numbered('ql_lines'))}",
            {"start": start, "end": end},
        )
        con.execute(
            "DELETE FROM staffing WHERE centre_id = ? AND queue = '' AND site = '' "
            "AND interval_s = ? AND interval_start IN (SELECT interval_start FROM ql_staffing)",
            [centre_id, INTERVAL_S],
        )
        intervals, agents = con.execute("SELECT count(*), max(agents) FROM ql_staffing").fetchall()[
            0
        ]
        con.execute(
            "INSERT INTO staffing (centre_id, interval_start, interval_s, queue, site, "
            "agents_scheduled, agents_available, batch_id) "
            "SELECT ?, interval_start, ?, '', '', NULL, agents_available, ? FROM ql_staffing",
            [centre_id, INTERVAL_S, batch_id],
        )
        later.append(
            f"staffing: {intervals} interval(s) of {INTERVAL_S // 60} min from the sessions "
            f"of {agents} agent(s)"
        )
    step("staffing")
    pair_visits(con, numbered("ql_lines"))
    # The parsed lines are the largest table of the load; the rest of it needs memory.
    con.execute("DROP TABLE ql_lines")
    step("pair events into visits")
    # A view: the ingest reads each call once, into its staged table.
    con.execute(f"CREATE OR REPLACE TEMP VIEW ql_calls AS {calls_sql('ql_visits')}")
    still_open, lost, out_of_order = con.execute(
        "SELECT count(*) FILTER (WHERE end_code IS NULL), "
        "coalesce(sum(entries - 1) FILTER (WHERE entries > 1), 0), "
        "coalesce(sum(out_of_order), 0) FROM ql_visits"
    ).fetchall()[0]
    if still_open:
        notes.append(
            f"{still_open} queue visit(s) still open at the end of the file (read, not "
            "loaded: they load with the file in which they end)"
        )
    if lost:
        notes.append(f"{lost} ENTERQUEUE event(s) never closed before the call queued again")
    if out_of_order:
        notes.append(f"{out_of_order} queue visit(s) with lines out of time order (paired by time)")
    notes += later
    return FormatRead(
        table="ql_calls",
        mapping=identity_mapping("queue_log", "calls", CALL_COLUMNS),
        rejects=rejects,
        notes=notes,
        physical=fields.physical,
        timings=timings,
        temporary=["VIEW ql_calls", "TABLE ql_visits", "TABLE ql_staffing"],
    )


FORMAT = InputFormat(name="queue_log", kinds=("calls",), sniff=sniff, read=read)
