"""The canonical records: what one call, ticket or staffing interval is in the store.

Every source (canonical CSV and Parquet, mapped exports, Asterisk queue_log, Amazon
Connect contact records, the simulator) ends in these columns, so the KPIs of real and
simulated history come from the same SQL. docs/stores.md gives their meaning; here each
column also says how the ingest types and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass

# How a call ends (docs/kpis.md): every offered call has one of these outcomes.
OUTCOMES = ("answered", "abandoned", "timeout")
OUTCOMES_SQL = "(" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")"  # for SQL IN


@dataclass(frozen=True)
class Column:
    """A canonical column: its name, how it is typed and checked, whether it is required."""

    name: str
    role: str  # key | timestamp | seconds | outcome | text | caller
    required: bool = False

    @property
    def stored(self) -> str:
        return "caller_hash" if self.role == "caller" else self.name


@dataclass(frozen=True)
class RecordKind:
    """Calls or tickets: the canonical columns, the table and the row rules."""

    name: str
    table: str
    key: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CALLS = RecordKind(
    name="calls",
    table="calls",
    key="call_id",
    columns=(
        Column("call_id", "key", True),
        Column("arrived_at", "timestamp", True),
        Column("outcome", "outcome", True),
        Column("wait_s", "seconds"),  # required unless answered_at / ended_at derive it
        Column("answered_at", "timestamp"),
        Column("ended_at", "timestamp"),
        Column("talk_s", "seconds"),
        Column("hold_s", "seconds"),
        Column("acw_s", "seconds"),
        Column("category", "text"),
        Column("topic", "text"),
        Column("queue", "text"),
        Column("site", "text"),
        Column("channel", "text"),
        Column("agent_id", "text"),
        Column("caller_id", "caller"),
    ),
)

TICKETS = RecordKind(
    name="tickets",
    table="tickets",
    key="ticket_id",
    columns=(
        Column("ticket_id", "key", True),
        Column("created_at", "timestamp", True),
        Column("first_response_at", "timestamp"),
        Column("resolved_at", "timestamp"),
        Column("status", "text"),
        Column("category", "text"),
        Column("topic", "text"),
        Column("channel", "text"),
        Column("priority", "text"),
        Column("site", "text"),
        Column("agent_id", "text"),
    ),
)

RECORD_KINDS = {k.name: k for k in (CALLS, TICKETS)}

# A call's dimensions, what its KPIs are grouped and filtered by: its text columns.
CALL_TEXTS: tuple[str, ...] = tuple(c.name for c in CALLS.columns if c.role == "text")


# The stored columns of each kind, in order, without the centre and batch.
CALL_COLUMNS: tuple[str, ...] = tuple(c.stored for c in CALLS.columns if c.role != "caller")
TICKET_COLUMNS: tuple[str, ...] = tuple(c.stored for c in TICKETS.columns)
