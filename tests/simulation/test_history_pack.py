"""A seed pack's ``[history]`` table is checked by one model (pydantic): an unknown key,
a missing one or a value of the wrong type fails naming the file, the key path and the
value, as the scenario's own checks do."""

from __future__ import annotations

import copy
import tomllib

import pytest

from simulation.queue.scenario_file import SCENARIO_DIR
from simulation.synthetic.pack import load_pack, pack_from_dict


def _bahrain() -> dict:
    return tomllib.loads((SCENARIO_DIR / "bahrain_lmra.toml").read_text(encoding="utf-8"))


def test_the_shipped_packs_load():
    assert len(load_pack("bahrain_lmra").tickets) == 3
    assert len(load_pack("saudi_mol").tickets) == 8


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda h: h["tickets"][0].update(per_month="many"),
            "bahrain.toml: history.tickets[0].per_month: input should be a valid number, "
            "unable to parse string as a number, not 'many'",
        ),
        (lambda h: h["tickets"][0].update(colour=1), "history.tickets[0].colour: unknown key"),
        (lambda h: h["tickets"][0].pop("channel"), "history.tickets[0].channel: missing"),
        (
            lambda h: h["incidents"][0].update(month="smarch"),
            "history.incidents[0].month: 'smarch' is not a month",
        ),
        (
            lambda h: h["tickets"][0].update(first_response_wh={"dist": "weird"}),
            "history.tickets[0].first_response_wh: dist must be one of",
        ),
        (lambda h: h.update(ramadan={"opening_hours": "8-25"}), "history.ramadan.opening_hours"),
    ],
)
def test_a_bad_history_table_names_the_file_the_key_and_the_value(change, message):
    data = copy.deepcopy(_bahrain())
    change(data["history"])
    with pytest.raises(ValueError) as caught:
        pack_from_dict(data, "bahrain.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("bahrain.toml: ")
