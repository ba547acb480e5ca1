"""The command line's shape (issue 21 item 6): every module in COMMANDS registers or the
CLI fails (never a command silently left out); shared options come from one parent
parser each; one UserError for everything a person can fix."""

from __future__ import annotations

import io

import pytest
from support.cli import run_cca

from analytics.errors import UserError
from cca import cli
from cca.output import emit


def test_a_command_module_that_fails_to_import_fails_the_cli(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, "no_such_command"])
    with pytest.raises(ModuleNotFoundError, match="no_such_command"):
        cli.build_parser()


def test_every_listed_command_is_registered():
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == cli.COMMANDS


def test_format_is_the_same_option_everywhere():
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    helps = set()
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if "--format" in action.option_strings and name != "ingest":
                assert action.default == "table" and "table" in action.choices, name
                helps.add(action.help)
    assert len(helps) == 1


def test_one_user_error():
    from dashboards import auth

    assert auth.UserError is cli.UserError is UserError
    proc = run_cca("kpi", "calls", "--centre", "x", "--period", "not-a-period", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_tables_keep_their_cells_and_carry_no_trailing_blanks():
    out = io.StringIO()
    emit([{"name": "a", "offered": 11064.0, "answer_rate": 0.91043}, {"name": "bb", "offered": 5, "answer_rate": None}], out=out)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["name", "offered", "answer_rate"]
    assert lines[1].split() == ["a", "11,064", "0.9104"] and lines[2].split() == ["bb", "5", "—"]
    assert all(line == line.rstrip() for line in lines)
    one = io.StringIO()
    emit([{"agents": 14, "p_wait": 0.25}], out=one)
    assert [line.split() for line in one.getvalue().splitlines()] == [["agents", "14"], ["p_wait", "0.2500"]]  # fmt: skip
