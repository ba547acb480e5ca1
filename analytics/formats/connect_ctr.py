"""Amazon Connect contact records (contact trace records, CTRs) as canonical calls.

Amazon Connect writes one JSON contact record per contact (a call, chat or task), to a
Kinesis stream or S3 as JSON lines, or as a JSON array from an export. The fields used:

==============================================  ==========================================
ContactId                                       the call id
Queue.EnqueueTimestamp                          arrived_at: when the contact joined a queue
Queue.DequeueTimestamp / Queue.Duration         when it left the queue / seconds in it
Queue.Name                                      queue
Agent.ConnectedToAgentTimestamp                 answered_at
Agent.AgentInteractionDuration                  talk_s (whole seconds)
Agent.CustomerHoldDuration                      hold_s
Agent.AfterContactWorkDuration                  acw_s
Agent.Username                                  agent_id
Channel                                         channel (VOICE becomes ``phone``, as the
                                                canonical calls name it; CHAT ``chat``, ...)
CustomerEndpoint.Address                        caller_id (stored only as a salted hash)
DisconnectTimestamp, DisconnectReason           ended_at of an answered contact; outcome
LastUpdateTimestamp                             which copy of a record is the latest
==============================================  ==========================================

Only contacts that were queued (an EnqueueTimestamp) are offered calls; outbound calls
and contacts that never left the flow are read but not loaded. A queued contact with an
agent connection is ``answered`` and waited from enqueue to ConnectedToAgentTimestamp;
without one it is ``abandoned`` (the customer hung up in the queue) and waited until it
was dequeued -- unless Connect itself ended it (DisconnectReason
``CONTACT_FLOW_DISCONNECT`` or ``EXPIRED``: the queue flow hung up or the contact
expired), which is ``timeout``. Connect's handle time is interaction + customer hold +
after-contact work, which is exactly ``aht_s``.

Connect delivers records *at least once* and re-delivers a record when it changes, so
the same ContactId can appear several times: the copy with the latest
LastUpdateTimestamp (on a tie, the later line) is loaded, earlier copies are read but not
loaded. Across files the later load wins, as for every ingest. Each JSON line is one
record (a line that is not a JSON object goes to quarantine with its line number); a
file that begins with ``[`` is one JSON array, and its quarantine ``line`` is the
record's position in the array. Timestamps are ISO 8601 in UTC, as Connect writes them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from analytics.formats import FormatError, FormatRead, InputFormat, identity_mapping
from analytics.formats.lines import read_numbered_lines
from analytics.store import LOCAL_ROW_ID

CALL_COLUMNS = [
    "call_id",
    "arrived_at",
    "outcome",
    "wait_s",
    "answered_at",
    "ended_at",
    "talk_s",
    "hold_s",
    "acw_s",
    "queue",
    "channel",
    "agent_id",
    "caller_id",
]
SYSTEM_ENDED = ("CONTACT_FLOW_DISCONNECT", "EXPIRED")


def sniff(head: bytes) -> bool:
    """A JSON object or array that mentions ContactId."""
    text = head.lstrip()
    return text[:1] in (b"{", b"[") and b'"ContactId"' in head


def _first_byte(path: Path) -> bytes:
    with open(path, "rb") as f:
        while chunk := f.read(4096):
            stripped = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")
            if stripped:
                return stripped[:1]
    return b""


def records_sql(docs: str) -> str:
    """Canonical call rows from a table of (line, doc JSON), latest copy per ContactId."""
    return f"""
        WITH r AS (
            SELECT line,
                doc->>'$.ContactId' AS contact_id,
                doc->>'$.Queue.EnqueueTimestamp' AS enqueued,
                doc->>'$.Queue.DequeueTimestamp' AS dequeued,
                doc->>'$.Agent.ConnectedToAgentTimestamp' AS connected,
                doc->>'$.DisconnectReason' AS reason,
                doc
            FROM {docs}),
        latest AS (
            SELECT *,
                contact_id IS NULL OR row_number() OVER (
                    PARTITION BY contact_id
                    ORDER BY TRY_CAST(doc->>'$.LastUpdateTimestamp' AS TIMESTAMPTZ) DESC
                             NULLS LAST, line DESC) = 1 AS is_latest
            FROM r)
        SELECT
            contact_id AS call_id,
            enqueued AS arrived_at,
            CASE WHEN connected IS NOT NULL THEN 'answered'
                 WHEN reason IN ('{"', '".join(SYSTEM_ENDED)}') THEN 'timeout'
                 ELSE 'abandoned' END AS outcome,
            CASE WHEN connected IS NULL AND dequeued IS NULL
                 THEN doc->>'$.Queue.Duration' END AS wait_s,
            connected AS answered_at,
            CASE WHEN connected IS NOT NULL THEN doc->>'$.DisconnectTimestamp'
                 ELSE dequeued END AS ended_at,
            CASE WHEN connected IS NOT NULL
                 THEN doc->>'$.Agent.AgentInteractionDuration' END AS talk_s,
            CASE WHEN connected IS NOT NULL
                 THEN doc->>'$.Agent.CustomerHoldDuration' END AS hold_s,
            CASE WHEN connected IS NOT NULL
                 THEN doc->>'$.Agent.AfterContactWorkDuration' END AS acw_s,
            doc->>'$.Queue.Name' AS queue,
            CASE upper(doc->>'$.Channel') WHEN 'VOICE' THEN 'phone'
                 ELSE lower(doc->>'$.Channel') END AS channel,
            CASE WHEN connected IS NOT NULL THEN doc->>'$.Agent.Username' END AS agent_id,
            doc->>'$.CustomerEndpoint.Address' AS caller_id,
            line,
            is_latest AND enqueued IS NOT NULL AS loadable,
            is_latest,
            enqueued IS NOT NULL AS queued
        FROM latest
        ORDER BY line
    """


def read(
    con: duckdb.DuckDBPyConnection, path: Path, *, centre_id: str, batch_id: int
) -> FormatRead:
    """Read contact records into the temp table ``ctr_calls``."""
    path = Path(path)
    first = _first_byte(path)
    if not first:
        raise FormatError("the file is empty")
    rejects = []
    if first == b"[":
        escaped = str(path).replace("'", "''")
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE ctr_raw AS SELECT json AS doc "
                f"FROM read_json_objects('{escaped}', format = 'array')"
            )
        except duckdb.Error as exc:
            raise FormatError(f"not a JSON array of contact records: {exc}") from exc
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE ctr_docs AS SELECT rowid % {LOCAL_ROW_ID} + 1 AS line, doc FROM ctr_raw"
        )
        bad = con.execute(
            "SELECT line, left(CAST(doc AS VARCHAR), 200) FROM ctr_docs "
            "WHERE json_type(doc) <> 'OBJECT' ORDER BY line"
        ).fetchall()
        rejects += [(int(n), None, v, "is not a JSON object") for n, v in bad]
    else:
        rejects += read_numbered_lines(
            con,
            path,
            "ctr_lines",
            "SELECT row_no, raw, CASE WHEN trim(raw) = '' THEN NULL "
            "WHEN json_valid(raw) AND json_type(raw) = 'OBJECT' THEN raw::JSON END AS doc "
            "FROM (SELECT row_no, rtrim(raw, chr(13)) AS raw FROM __lines__)",
        )
        bad = con.execute(
            "SELECT row_no, left(raw, 200) FROM ctr_lines "
            "WHERE doc IS NULL AND trim(coalesce(raw, '')) <> '' ORDER BY row_no"
        ).fetchall()
        rejects += [
            (int(n), None, v, "is not a JSON object (one contact record a line)") for n, v in bad
        ]
        con.execute(
            "CREATE OR REPLACE TEMP TABLE ctr_docs AS SELECT row_no AS line, doc FROM ctr_lines"
        )
    rejects.sort(key=lambda r: r[0])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ctr_calls AS "
        + records_sql("(SELECT * FROM ctr_docs WHERE json_type(doc) = 'OBJECT')")
    )
    superseded, unqueued = con.execute(
        "SELECT count(*) FILTER (WHERE NOT is_latest), "
        "count(*) FILTER (WHERE is_latest AND NOT queued) FROM ctr_calls"
    ).fetchall()[0]
    notes = []
    if superseded:
        notes.append(
            f"{superseded} earlier cop(y/ies) of contact records superseded by a later "
            "LastUpdateTimestamp (read, not loaded)"
        )
    if unqueued:
        notes.append(f"{unqueued} contact(s) never queued (outbound, flow only): not offered calls")
    return FormatRead(
        table="ctr_calls",
        mapping=identity_mapping("connect_ctr", "calls", CALL_COLUMNS),
        rejects=rejects,
        notes=notes,
    )


FORMAT = InputFormat(name="connect_ctr", kinds=("calls",), sniff=sniff, read=read)
