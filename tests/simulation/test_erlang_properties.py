"""Invariants of exact Erlang C and Erlang A, over random intervals (Hypothesis).

More agents never make things worse; a call is answered or abandoned; stricter
definitions of service level never exceed looser ones; a longer threshold never lowers
a service level.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.formulas.erlang import ErlangA, ErlangC

EPS = 1e-12

interval = st.fixed_dictionaries(
    {
        "calls": st.floats(1, 3000),
        "per_s": st.sampled_from([900.0, 1800.0, 3600.0]),
        "aht_s": st.floats(30, 900),
        "patience_s": st.floats(5, 2000),
    }
)


def _agents(model, fraction: float) -> int:
    """Somewhere from a tenth of the load (heavily overloaded) to double it."""
    return max(1, int(model.load_erlangs * (0.1 + 1.9 * fraction)) + 1)


@settings(max_examples=60, deadline=None)
@given(interval, st.floats(0, 1))
def test_erlang_a_outcomes_add_up_and_definitions_nest(params, fraction):
    model = ErlangA(**params)
    agents = _agents(model, fraction)
    m = model.metrics(agents, thresholds_s=(12, 30), short_abandon_s=5)
    assert abs(m["answer_rate"] + m["abandon_rate"] - 1) < 1e-12
    assert m["p_abandon"] == m["abandon_rate"]
    for key, value in m.items():
        if key not in ("agents", "asa_s"):
            assert -EPS <= value <= 1 + EPS, key
    assert m["asa_s"] >= 0
    assert m["p_abandon"] <= m["p_wait"] + EPS
    for t in (12, 30):
        offered = m[f"sl_offered_{t}"]
        assert offered <= m[f"sl_answered_{t}"] + EPS
        assert offered <= m[f"sl_excl_short_{t}"] + EPS
        assert offered <= m[f"sl_with_abandons_{t}"] + EPS
        assert offered <= m["answer_rate"] + EPS
        assert m[f"sl_excl_short_{t}"] <= m["answer_rate_excl_short"] + EPS
        assert 1 - m["p_wait"] <= offered + EPS  # calls answered at once are within T
    for name in ("sl_answered", "sl_offered", "sl_excl_short", "sl_with_abandons"):
        assert m[f"{name}_12"] <= m[f"{name}_30"] + EPS


@settings(max_examples=40, deadline=None)
@given(interval, st.floats(0, 1))
def test_one_more_erlang_a_agent_never_makes_things_worse(params, fraction):
    model = ErlangA(**params)
    agents = _agents(model, fraction)
    now, more = model.metrics(agents), model.metrics(agents + 1)
    for key in ("sl_offered_12", "sl_answered_30", "sl_excl_short_12", "sl_with_abandons_30"):
        assert more[key] >= now[key] - 1e-10, key
    for key in ("p_wait", "p_abandon", "asa_s", "occupancy"):
        assert more[key] <= now[key] + 1e-10, key


@settings(max_examples=40, deadline=None)
@given(interval, st.floats(0, 1))
def test_erlang_a_waits_less_than_erlang_c_and_impatience_helps_the_rest(params, fraction):
    patient = ErlangC(params["calls"], params["per_s"], params["aht_s"])
    agents = _agents(patient, fraction)
    c = patient.metrics(agents)
    a = ErlangA(**params).metrics(agents)
    assert a["p_wait"] <= c["p_wait"] + 1e-12
    if c["asa_s"] is not None:
        assert a["asa_s"] <= c["asa_s"] * (1 + 1e-10)
        assert a["sl_answered_12"] >= c["sl_answered_12"] - 1e-10


@settings(max_examples=40, deadline=None)
@given(interval, st.floats(0, 1))
def test_erlang_c_variants_coincide_and_improve_with_agents(params, fraction):
    model = ErlangC(params["calls"], params["per_s"], params["aht_s"])
    agents = _agents(model, fraction)
    m, more = model.metrics(agents), model.metrics(agents + 1)
    assert m["p_abandon"] == 0
    for t in (12, 30):
        values = {m[f"{name}_{t}"] for name in ("sl_offered", "sl_excl_short", "sl_with_abandons")}
        assert len(values) == 1
        assert more[f"sl_offered_{t}"] >= m[f"sl_offered_{t}"]
    assert more["p_wait"] <= m["p_wait"]
