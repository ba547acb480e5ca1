"""Help-desk presets: Zendesk, Freshdesk and osTicket ticket exports through their mappings.

Each sample in ``data/samples/`` carries the export's real header and was written by
hand; the expected tickets (Riyadh time, UTC+3) are read off its rows.
"""

from __future__ import annotations

import pytest
from support.cli import ROOT

from analytics.ingest import ingest_file

SAMPLES = ROOT / "data" / "samples"
MAPPINGS = ROOT / "data" / "mappings"

# ticket_id: (created, first response, resolved, status, topic, channel, priority, agent)
EXPECTED = {
    "zendesk": {
        # Created at + 30 minutes of "First reply time in minutes"
        "101": ("2024-09-01 09:00", "2024-09-01 09:30", "2024-09-02 10:00", "solved",
                "question", "email", "normal", "Huda Ali"),
        "102": ("2024-09-01 10:00", None, None, "open", "incident", "web", "high", None),
        # reopened: open again, so its old "Solved at" is not a resolution
        "103": ("2024-09-01 11:00", "2024-09-01 11:05", None, "open", "question", "web", None,
                "Huda Ali"),
        # no offset in the export: local time of the centre
        "104": ("2024-09-02 08:00", "2024-09-02 09:00", "2024-09-03 08:00", "closed", "task",
                "voice", "low", "Omar Saleh"),
    },
    "freshdesk": {
        "2001": ("2024-09-01 09:00", "2024-09-01 09:20", "2024-09-01 15:00", "resolved",
                 "question", "email", "medium", "Huda Ali"),
        # closed without a "Resolved time": resolved when closed
        "2002": ("2024-09-01 10:00", "2024-09-01 10:05", "2024-09-02 10:00", "closed",
                 "incident", "phone", "high", "Omar Saleh"),
        "2003": ("2024-09-02 08:00", None, None, "open", "question", "portal", "low", None),
        "2004": ("2024-09-02 09:00", "2024-09-02 09:01", None, "waiting on customer",
                 "problem", "chat", "urgent", "Huda Ali"),
    },
    "osticket": {
        # ';'-separated with a byte-order mark; osTicket's default "m/d/Y g:i a" dates
        "683412": ("2024-09-01 09:00", None, "2024-09-02 13:30", "closed",
                   "Work permits / Renewal", "web", "normal", "Huda Ali"),
        "683413": ("2024-09-01 14:15", None, None, "open", "Fees", "phone", "high", None),
        "683414": ("2024-09-03 08:05", None, "2024-09-03 08:45", "resolved", "General Inquiry",
                   "email", "low", "Omar Saleh"),
    },
}  # fmt: skip
# the line each sample's deliberately broken row is on, and the column named
REJECTED = {"zendesk": [(6, "created_at")], "freshdesk": [(6, "resolved_at")], "osticket": []}


def local_minutes(con, column):
    return f"strftime(timezone('Asia/Riyadh', {column}), '%Y-%m-%d %H:%M')"


@pytest.mark.parametrize("preset", ["zendesk", "freshdesk", "osticket"])
def test_a_help_desk_export_loads_through_its_preset(store, preset):
    sample = SAMPLES / f"{preset}_tickets_2024-09.csv"
    r = ingest_file(
        store,
        "tickets",
        sample,
        preset,
        mapping=MAPPINGS / f"{preset}.toml",
        timezone="Asia/Riyadh",
    )
    expected = EXPECTED[preset]
    assert (r.loaded, r.rejected) == (len(expected), len(REJECTED[preset]))
    with store.reader() as con:
        got = {
            row[0]: row[1:]
            for row in con.execute(
                f"SELECT ticket_id, {local_minutes(con, 'created_at')}, "
                f"{local_minutes(con, 'first_response_at')}, {local_minutes(con, 'resolved_at')}, "
                "status, topic, channel, priority, agent_id FROM tickets WHERE centre_id = ?",
                [preset],
            ).fetchall()
        }
        rejected = con.execute(
            "SELECT line, column_name FROM quarantine WHERE batch_id = ? ORDER BY line",
            [r.batch_id],
        ).fetchall()
    assert got == expected
    assert rejected == REJECTED[preset]
    again = ingest_file(store, "tickets", sample, preset, mapping=MAPPINGS / f"{preset}.toml")
    assert (again.loaded, again.updated, again.duplicate) == (0, 0, len(expected))
