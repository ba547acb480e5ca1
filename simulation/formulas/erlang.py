"""Exact Erlang B, Erlang C and Erlang A: the stationary queue of one pool of agents.

Calls arrive as a Poisson stream (``calls`` per ``per_s`` seconds, so λ = calls / per_s
per second), handling times are exponential with mean ``aht_s`` (μ = 1 / aht_s) and
``agents`` (n) agents answer them first come, first served. The offered load is
a = λ / μ Erlangs.

* **Erlang B** (M/M/n/n): a call that finds every agent busy is lost. Its blocking
  probability E_B(n, a) is the building block of the other two.
* **Erlang C** (M/M/n): callers wait for as long as it takes. Stable only when a < n;
  P(wait) = C(n, a) = E_B / (1 − ρ(1 − E_B)) with ρ = a / n, and the wait of a delayed
  call is exponential with rate nμ − λ.
* **Erlang A** (M/M/n+M, Palm's model, Garnett–Mandelbaum–Reiman 2002): each caller
  also has an exponential patience with mean ``patience_s`` (θ = 1 / patience_s) and
  hangs up when it runs out before an agent answers. Always stable.

How Erlang A is solved exactly (notation of Mandelbaum & Zeltyn, "The M/M/n+G queue:
summary of performance measures"). Write c = nμ/θ and x = λ/θ. The birth–death chain
gives π_{n+j} = π_n · w_j with w_j = x^j / ((c+1)(c+2)…(c+j)), so everything about a
delayed call is a mixture over j, the number of callers it finds ahead of it, with
weights w_j / S(c, x), where S(c, x) = Σ_j w_j = 1F1(1; c+1; x). The caller's *virtual*
wait V (the wait if it had infinite patience) given j is a sum of exponentials with
rates nμ + iθ, i = 0..j, which in units of 1/θ is −ln B with B ~ Beta(c, j+1). From
that, with u = e^{−θT}:

* P(answered | j) = E[e^{−θV}] = c / (c+j+1);
* P(W > T | wait) = e^{−(nμ+θ)T + x(1−u)} · S(c, xu) / S(c, x);
* P(answered, W > T | wait) = e^{−(nμ+θ)T + x(1−u)} · c/(c+1) · S(c+1, xu) / S(c, x);
* E[W; answered | j] = c/(c+j+1) · Σ_{i=1}^{j+1} 1 / (nμ + iθ);
* P(wait) = π_n S(c, x) = 1 / (1 + (1/E_B − 1) / S(c, x)).

S(c, z) = c e^z z^{−c} γ(c, z) is the incomplete-gamma form of Zeltyn's summary; here it is
summed as its series, in log space, to machine precision, which keeps loads of thousands of
Erlangs and thousands of agents finite. Patience → ∞ gives Erlang C, patience → 0 gives
Erlang B (every delayed call is lost at once) and patience = AHT gives M/M/∞ (Poisson).

Every service-level definition of docs/kpis.md follows from these per-call probabilities
(W is the wait of a call, S_short the short-abandon threshold):

=======================  ==================================================================
sl_answered_T            P(answered, W ≤ T) / P(answered)
sl_offered_T             P(answered, W ≤ T)
sl_excl_short_T          P(answered, W ≤ T) / (1 − P(abandoned, W < S_short))
sl_with_abandons_T       P(W ≤ T)  (answered or abandoned within T)
answer_rate              P(answered);   abandon_rate = p_abandon = P(abandoned)
answer_rate_excl_short   P(answered) / (1 − P(abandoned, W < S_short))
asa_s                    E[W | answered], seconds
occupancy                carried load / n = a · P(answered) / n
=======================  ==================================================================

Units: times in seconds, ``calls`` per interval of ``per_s`` seconds, loads in Erlangs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from analytics.kpi import threshold_label
from analytics.kpi.catalogue import SL_NAME, SL_VARIANTS

DEFAULT_THRESHOLDS_S: tuple[float, ...] = (12, 30)
DEFAULT_SHORT_ABANDON_S = 5.0

SERVICE_LEVELS = SL_VARIANTS  # the catalogue's service-level families
PLAIN_KPIS = (
    "p_wait",
    "occupancy",
    "asa_s",
    "p_abandon",
    "answer_rate",
    "abandon_rate",
    "answer_rate_excl_short",
)
_SL_KPI = SL_NAME
_TARGET = re.compile(r"^\s*([a-z_0-9.]+)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*$")

# A series term below e^-45 of the largest one is beneath double precision of the sum.
_LOG_NEGLIGIBLE = 45.0


# --------------------------------------------------------------------------- series


def _log_series(
    log_ratio,
    mode: float,
    scale: float,
    limit: int | None = None,
    start: int = 0,
    geometric: float | None = None,
) -> np.ndarray:
    """Log-terms l_k = Σ_{start<i≤k} log_ratio(i), k = start, start+1, …, of a positive series.

    The terms are log-concave with their peak near ``mode``; they fall off like a
    Gaussian of variance ≈ ``scale`` past it. Summation stops once a term is below
    e^-45 of the peak (or at index ``limit``, for a finite series). The caller adds the
    log of term ``start`` when it is not the first.
    """
    length = int(mode - start + 10.0 * math.sqrt(scale + 1.0) + 40)
    if geometric is not None and geometric < 1.0:
        # Every ratio is ≤ ``geometric``: the tail is a geometric series' at worst.
        length = min(length, int(_LOG_NEGLIGIBLE / -math.log(max(geometric, 1e-300))) + 40)
    while True:
        if limit is not None:
            length = min(length, limit - start)
        logs = np.empty(length + 1)
        logs[0] = 0.0
        np.cumsum(log_ratio(np.arange(start + 1, start + length + 1, dtype=float)), out=logs[1:])
        if limit is not None and start + length >= limit:
            return logs
        if logs[-1] < logs.max() - _LOG_NEGLIGIBLE and logs[-1] <= logs[-2]:
            return logs
        length *= 2


def _logsumexp(logs: np.ndarray, weights: np.ndarray | None = None) -> float:
    top = float(logs.max())
    terms = np.exp(logs - top)
    total = float(terms.sum() if weights is None else terms @ weights)
    return top + math.log(total) if total > 0 else -math.inf


# Up to this many agents the plain recursion is faster than summing the series with numpy.
_RECURSION_UP_TO = 400


def _log_inverse_erlang_b_minus_one(agents: int, load: float) -> float:
    """log(1/E_B(n, a) − 1) = log Σ_{m=1}^{n} n! / ((n−m)! a^m), exactly summed."""
    if agents == 0:
        return -math.inf
    if agents <= _RECURSION_UP_TO:
        # The classic recursion, on r = 1/E_B − 1 so that nothing cancels: r_k = (1 + r_{k−1}) k / a.
        rest = 0.0
        for k in range(1, agents + 1):
            rest = (1.0 + rest) * k / load
        if math.isfinite(rest):
            return math.log(rest)
    log_load = math.log(load)
    logs = _log_series(
        lambda i: np.log(agents - i + 1.0) - log_load,
        mode=max(0.0, agents - load),
        scale=load,
        limit=agents,
        geometric=agents / load,
    )
    return _logsumexp(logs[1:])


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Erlang B blocking probability E_B(n, a): n agents, a Erlangs offered, no queue."""
    _check_agents(agents, allow_zero=True)
    if not load_erlangs >= 0 or math.isinf(load_erlangs):
        raise ValueError(f"load must be a finite number of Erlangs ≥ 0, got {load_erlangs!r}")
    if load_erlangs == 0:
        return 1.0 if agents == 0 else 0.0
    # 1 / (1 + e^x) written so that neither branch overflows: with many more agents
    # than Erlangs x exceeds 709 and e^x does not fit in a float.
    x = _log_inverse_erlang_b_minus_one(agents, load_erlangs)
    if x > 0:
        tail = math.exp(-x)
        return tail / (1.0 + tail)
    return 1.0 / (1.0 + math.exp(x))


def erlang_c(agents: int, load_erlangs: float) -> float:
    """Erlang C probability that a call waits, C(n, a); 1 when a ≥ n (unstable queue)."""
    _check_agents(agents)
    blocking = erlang_b(agents, load_erlangs)
    rho = load_erlangs / agents
    if rho >= 1:
        return 1.0
    return blocking / (1.0 - rho * (1.0 - blocking))


# --------------------------------------------------------------------------- models


def _check_agents(agents: int, *, allow_zero: bool = False) -> None:
    if isinstance(agents, bool) or not isinstance(agents, (int, np.integer)):
        raise ValueError(f"agents must be a whole number, got {agents!r}")
    if agents < (0 if allow_zero else 1):
        raise ValueError(f"agents must be ≥ {0 if allow_zero else 1}, got {agents}")


def _check_times(thresholds_s: Iterable[float], short_abandon_s: float) -> tuple[float, ...]:
    thresholds = tuple(sorted({float(t) for t in thresholds_s}))
    if any(not (t >= 0 and math.isfinite(t)) for t in thresholds):
        raise ValueError(f"thresholds must be finite seconds ≥ 0, got {thresholds_s!r}")
    if not (short_abandon_s >= 0 and math.isfinite(short_abandon_s)):
        raise ValueError(f"short_abandon_s must be finite seconds ≥ 0, got {short_abandon_s!r}")
    return thresholds


@dataclass(frozen=True)
class _CallOutcomes:
    """Per-call probabilities of one staffing, from which every KPI is a ratio.

    ``p_answer`` None marks an unstable Erlang C queue (no steady state).
    """

    agents: int
    p_wait: float
    p_answer: float | None
    p_abandon: float
    mean_answered_wait_s: float | None
    answered_within: dict[float, float]  # T -> P(answered, W <= T)
    abandoned_within: dict[float, float]  # T -> P(abandoned, W <= T)
    short_abandoned: float  # P(abandoned, W < S)
    occupancy: float | None

    def metrics(self, thresholds: Sequence[float]) -> dict:
        p_answer = self.p_answer
        not_short = 1.0 - self.short_abandoned
        row: dict = {
            "agents": int(self.agents),
            "p_wait": self.p_wait,
            "occupancy": self.occupancy,
            "asa_s": self.mean_answered_wait_s,
            "p_abandon": self.p_abandon,
        }
        for t in thresholds:
            name = threshold_label(t)
            answered = self.answered_within[t]
            # Unstable Erlang C: waits grow without bound, so no call is answered within T.
            row[f"sl_answered_{name}"] = 0.0 if p_answer is None else _ratio(answered, p_answer)
            row[f"sl_offered_{name}"] = answered
            row[f"sl_excl_short_{name}"] = _ratio(answered, not_short)
            row[f"sl_with_abandons_{name}"] = min(1.0, answered + self.abandoned_within[t])
        row["answer_rate"] = p_answer
        row["abandon_rate"] = self.p_abandon
        row["answer_rate_excl_short"] = _ratio(p_answer, not_short)
        return row


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return min(1.0, numerator / denominator)


@dataclass(frozen=True)
class _Traffic:
    calls: float
    per_s: float
    aht_s: float

    def __post_init__(self) -> None:
        if not (self.calls >= 0 and math.isfinite(self.calls)):
            raise ValueError(f"calls must be a finite number ≥ 0, got {self.calls!r}")
        if not (self.per_s > 0 and math.isfinite(self.per_s)):
            raise ValueError(f"per_s must be seconds > 0, got {self.per_s!r}")
        if not (self.aht_s > 0 and math.isfinite(self.aht_s)):
            raise ValueError(f"aht_s must be seconds > 0, got {self.aht_s!r}")

    @property
    def arrival_rate(self) -> float:
        """λ, calls per second."""
        return self.calls / self.per_s

    @property
    def load_erlangs(self) -> float:
        """Offered load a = λ · AHT, Erlangs."""
        return self.arrival_rate * self.aht_s

    def metrics(
        self,
        agents: int,
        *,
        thresholds_s: Iterable[float] = DEFAULT_THRESHOLDS_S,
        short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
    ) -> dict:
        """Every KPI of ``cca erlang`` for ``agents`` agents (see the module docstring).

        Zero agents is allowed only when there are no calls.
        """
        _check_agents(agents, allow_zero=self.calls == 0)
        thresholds = _check_times(thresholds_s, short_abandon_s)
        row = self.outcomes(agents, thresholds, float(short_abandon_s)).metrics(thresholds)
        if self.calls == 0:
            # No call offered or answered: every share and mean wait has a zero
            # denominator, which docs/kpis.md makes null (staffing keeps the λ → 0 limit).
            keep = ("agents", "occupancy")
            row = {k: (v if k in keep else None) for k, v in row.items()}
        return row

    def outcomes(
        self, agents: int, thresholds_s: Sequence[float], short_abandon_s: float
    ) -> _CallOutcomes:
        """Per-call probabilities at the given thresholds (s); no validation (hot path)."""
        if self.calls == 0:
            # No calls at all: nobody waits (the limit λ → 0).
            return _CallOutcomes(
                agents=agents,
                p_wait=0.0,
                p_answer=1.0,
                p_abandon=0.0,
                mean_answered_wait_s=0.0,
                answered_within=dict.fromkeys(thresholds_s, 1.0),
                abandoned_within=dict.fromkeys(thresholds_s, 0.0),
                short_abandoned=0.0,
                occupancy=0.0 if agents else None,
            )
        return self._outcomes(agents, thresholds_s, short_abandon_s)

    def _outcomes(self, agents: int, thresholds_s: Sequence[float], short_abandon_s: float):
        raise NotImplementedError


@dataclass(frozen=True)
class ErlangC(_Traffic):
    """M/M/n with infinitely patient callers: ``calls`` per ``per_s`` seconds, AHT ``aht_s``.

    With load ≥ agents the queue grows without bound: p_wait is 1, occupancy 1, asa_s
    and the answer rates are None (infinite wait, no steady state) and every service
    level is 0.
    """

    def _outcomes(self, agents: int, thresholds_s: Sequence[float], short_abandon_s: float):
        load = self.load_erlangs
        if load >= agents:
            return _CallOutcomes(
                agents=agents,
                p_wait=1.0,
                p_answer=None,
                p_abandon=0.0,
                mean_answered_wait_s=None,
                answered_within=dict.fromkeys(thresholds_s, 0.0),
                abandoned_within=dict.fromkeys(thresholds_s, 0.0),
                short_abandoned=0.0,
                occupancy=1.0,
            )
        p_wait = erlang_c(agents, load)
        drain = agents / self.aht_s - self.arrival_rate  # nμ − λ, per second
        return _CallOutcomes(
            agents=agents,
            p_wait=p_wait,
            p_answer=1.0,
            p_abandon=0.0,
            mean_answered_wait_s=p_wait / drain,
            answered_within={t: 1.0 - p_wait * math.exp(-drain * t) for t in thresholds_s},
            abandoned_within=dict.fromkeys(thresholds_s, 0.0),
            short_abandoned=0.0,
            occupancy=load / agents,
        )


@dataclass(frozen=True)
class ErlangA(_Traffic):
    """M/M/n+M: Erlang C plus exponential patience with mean ``patience_s`` seconds.

    ``patience_s = inf`` is Erlang C; ``patience_s = 0`` is Erlang B (a call that finds
    every agent busy hangs up at once, with zero wait).
    """

    patience_s: float = math.inf

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.patience_s >= 0:
            raise ValueError(f"patience_s must be seconds ≥ 0, got {self.patience_s!r}")

    def _outcomes(self, agents: int, thresholds_s: Sequence[float], short_abandon_s: float):
        if math.isinf(self.patience_s):
            return ErlangC(self.calls, self.per_s, self.aht_s)._outcomes(
                agents, thresholds_s, short_abandon_s
            )
        load = self.load_erlangs
        if self.patience_s == 0:
            lost = erlang_b(agents, load)
            return _CallOutcomes(
                agents=agents,
                p_wait=lost,
                p_answer=1.0 - lost,
                p_abandon=lost,
                mean_answered_wait_s=0.0,
                answered_within=dict.fromkeys(thresholds_s, 1.0 - lost),
                abandoned_within=dict.fromkeys(thresholds_s, lost),
                short_abandoned=lost if short_abandon_s > 0 else 0.0,
                occupancy=load * (1.0 - lost) / agents,
            )
        return _erlang_a_outcomes(
            agents,
            self.arrival_rate,
            1.0 / self.aht_s,
            1.0 / self.patience_s,
            thresholds_s,
            short_abandon_s,
        )


# Past this many callers ahead, the series for S(c, z) starts near its peak instead of at 0.
_WINDOW_FROM = 100_000


def _s_terms(c: float, log_z: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-terms of S(c, z) = Σ_j z^j / ((c+1)…(c+j)), with their indices j (as floats)."""
    z = math.exp(log_z)
    mode = max(0.0, z - c)
    start = 0
    if mode > _WINDOW_FROM:
        start = int(mode - 12.0 * math.sqrt(z + 1.0))
    logs = _log_series(
        lambda i: log_z - np.log(c + i),
        mode=mode,
        scale=z + c,
        start=start,
        geometric=z / (c + 1.0) if start == 0 else None,
    )
    if start:
        logs += start * log_z - (special.gammaln(c + start + 1.0) - special.gammaln(c + 1.0))
    return logs, np.arange(start, start + logs.size, dtype=float)


def _erlang_a_outcomes(
    agents: int,
    lam: float,
    mu: float,
    theta: float,
    thresholds_s: Sequence[float],
    short_abandon_s: float,
) -> _CallOutcomes:
    """Exact M/M/n+M per-call probabilities (rates per second); see the module docstring."""
    service = agents * mu  # nμ: the rate at which agents free up while all are busy
    c = service / theta
    x = lam / theta
    log_x = math.log(x)

    logs, j = _s_terms(c, log_x)
    top = float(logs.max())
    weights = np.exp(logs - top)
    total = float(weights.sum())
    log_s = top + math.log(total)
    ahead = weights / total  # P(j callers ahead | the call waits)
    answered_given_j = c / (c + j + 1.0)
    p_answer_if_wait = float(ahead @ answered_given_j)
    p_abandon_if_wait = float(ahead @ ((j + 1.0) / (c + j + 1.0)))
    # Σ_{i=1}^{j+1} 1/(nμ + iθ): mean wait of a call answered after j callers ahead of it.
    answered_wait = np.cumsum(1.0 / (service + theta * (j + 1.0)))
    if j[0] > 0:
        answered_wait += (special.digamma(c + j[0] + 1.0) - special.digamma(c + 1.0)) / theta
    wait_if_answered = float(ahead @ (answered_given_j * answered_wait))

    log_rest = _log_inverse_erlang_b_minus_one(agents, lam / mu)
    odds_no_wait = math.exp(min(700.0, log_rest - log_s))
    p_wait = 1.0 / (1.0 + odds_no_wait)
    p_no_wait = odds_no_wait / (1.0 + odds_no_wait)  # not 1 − p_wait: that can round to 0

    def beyond(t: float) -> tuple[float, float]:
        """P(W > t | wait) and P(answered, W > t | wait)."""
        if t == 0:
            return 1.0, p_answer_if_wait
        # e^{−(nμ+θ)t + x(1−u)}, u = e^{−θt}: the weight of still waiting at t, in logs.
        log_factor = -(service + theta) * t - x * math.expm1(-theta * t) - log_s
        t_logs, t_j = _s_terms(c, log_x - theta * t)
        waits_longer = math.exp(log_factor + _logsumexp(t_logs))
        answered_later = math.exp(log_factor + _logsumexp(t_logs, c / (c + t_j + 1.0)))
        return waits_longer, answered_later

    answered_within: dict[float, float] = {}
    abandoned_within: dict[float, float] = {}
    for t in {*thresholds_s, short_abandon_s}:
        waits_longer, answered_later = beyond(t)
        answered_soon = p_answer_if_wait - answered_later
        if answered_soon < 1e-3 * p_answer_if_wait:
            # Few delayed calls are answered within t (deep overload): the difference has
            # lost its digits, so sum P(answered, V ≤ t | j) = c/(c+j+1) · P(B' ≥ e^{−θt})
            # directly, B' ~ Beta(c+1, j+1).
            tail = special.betaincc(c + 1.0, j + 1.0, math.exp(-theta * t))
            answered_soon = float(ahead @ (answered_given_j * tail))
        answered_within[t] = p_no_wait + p_wait * max(0.0, answered_soon)
        abandoned_within[t] = p_wait * max(0.0, p_abandon_if_wait - waits_longer + answered_later)

    p_answer = p_no_wait + p_wait * p_answer_if_wait
    return _CallOutcomes(
        agents=agents,
        p_wait=p_wait,
        p_answer=p_answer,
        p_abandon=p_wait * p_abandon_if_wait,
        mean_answered_wait_s=p_wait * wait_if_answered / p_answer,
        answered_within=answered_within,
        abandoned_within=abandoned_within,
        short_abandoned=abandoned_within[short_abandon_s],
        occupancy=min(1.0, lam * p_answer / service),
    )


# --------------------------------------------------------------------------- public API


def erlang_c_metrics(
    calls: float,
    per_s: float,
    aht_s: float,
    agents: int,
    *,
    thresholds_s: Iterable[float] = DEFAULT_THRESHOLDS_S,
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
) -> dict:
    """Erlang C KPIs for ``agents`` agents, ``calls`` per ``per_s`` seconds, AHT ``aht_s`` s.

    Keys as ``cca erlang`` (docs/cli.md): agents, p_wait, occupancy, asa_s (s), p_abandon (0),
    sl_answered/offered/excl_short/with_abandons_T for each threshold T (s), answer_rate,
    abandon_rate, answer_rate_excl_short. Unstable (load ≥ agents): p_wait 1, asa_s None.
    """
    return ErlangC(calls, per_s, aht_s).metrics(
        agents, thresholds_s=thresholds_s, short_abandon_s=short_abandon_s
    )


def erlang_a_metrics(
    calls: float,
    per_s: float,
    aht_s: float,
    patience_s: float,
    agents: int,
    *,
    thresholds_s: Iterable[float] = DEFAULT_THRESHOLDS_S,
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
) -> dict:
    """Erlang A (M/M/n+M) KPIs; as :func:`erlang_c_metrics` with mean patience ``patience_s`` s.

    Short abandons are abandoned calls with wait < ``short_abandon_s`` seconds.
    """
    return ErlangA(calls, per_s, aht_s, patience_s).metrics(
        agents, thresholds_s=thresholds_s, short_abandon_s=short_abandon_s
    )


@dataclass(frozen=True)
class Target:
    """A staffing target on one KPI, e.g. ``sl_offered_20 >= 0.8`` or ``asa_s <= 20``."""

    kpi: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in (">=", "<=", ">", "<"):
            raise ValueError(f"target operator must be >=, <=, > or <, got {self.op!r}")
        if self.kpi not in PLAIN_KPIS and not _SL_KPI.match(self.kpi):
            raise ValueError(
                f"unknown target KPI {self.kpi!r}: use one of {', '.join(PLAIN_KPIS)} or "
                f"{'/'.join(SERVICE_LEVELS)}_<seconds>, e.g. sl_offered_20"
            )
        if not math.isfinite(self.value):
            raise ValueError(f"target value must be a finite number, got {self.value!r}")

    @property
    def threshold_s(self) -> float | None:
        """The service-level threshold T (s) the KPI names, or None."""
        match = _SL_KPI.match(self.kpi)
        return float(match.group(2)) if match else None

    @property
    def key(self) -> str:
        """The metrics-dict key: the KPI name with its threshold written as every KPI
        name writes it (``analytics.kpi.threshold_label``: ``sl_offered_20`` for 20.0 s,
        ``sl_offered_12.3456789`` for 12.3456789 s), however the target spelled it."""
        threshold = self.threshold_s
        if threshold is None:
            return self.kpi
        return f"{_SL_KPI.match(self.kpi).group(1)}_{threshold_label(threshold)}"

    def met_by(self, metrics: Mapping[str, float | None]) -> bool:
        """Whether a metrics dict meets the target (a None value, e.g. infinite ASA, never does)."""
        actual = metrics.get(self.key)
        if actual is None:
            return False
        return {
            ">=": actual >= self.value,
            "<=": actual <= self.value,
            ">": actual > self.value,
            "<": actual < self.value,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"


def parse_target(text: str) -> Target:
    """Parse ``"sl_offered_20>=0.8"``, ``"asa_s<=20"``, ``"p_abandon<0.05"``…"""
    match = _TARGET.match(text)
    if not match:
        raise ValueError(f"cannot read target {text!r}: write it like sl_offered_20>=0.8")
    return Target(match.group(1), match.group(2), float(match.group(3)))


def staffing_targets(
    targets: Sequence[Target | str],
    *,
    max_occupancy: float | None = None,
    max_abandon: float | None = None,
) -> list[Target]:
    """The targets plus the occupancy and abandonment caps, as one list of Targets."""
    out = [parse_target(t) if isinstance(t, str) else t for t in targets]
    if max_occupancy is not None:
        out.append(Target("occupancy", "<=", float(max_occupancy)))
    if max_abandon is not None:
        out.append(Target("p_abandon", "<=", float(max_abandon)))
    return out


def target_thresholds(targets: Iterable[Target]) -> tuple[float, ...]:
    """The service-level thresholds (s) that a list of targets needs computed."""
    return tuple(sorted({t.threshold_s for t in targets if t.threshold_s is not None}))


def _model(calls: float, per_s: float, aht_s: float, patience_s: float | None) -> _Traffic:
    if patience_s is None:
        return ErlangC(calls, per_s, aht_s)
    return ErlangA(calls, per_s, aht_s, patience_s)


def required_agents(
    calls: float,
    per_s: float,
    aht_s: float,
    *,
    targets: Sequence[Target | str],
    patience_s: float | None = None,
    max_occupancy: float | None = None,
    max_abandon: float | None = None,
    max_agents: int = 10_000,
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S,
) -> int | None:
    """The fewest agents (≥ 1) meeting every target and cap; None if no n ≤ ``max_agents`` does.

    ``calls`` per ``per_s`` seconds, AHT ``aht_s`` seconds; ``patience_s`` None is Erlang C,
    otherwise Erlang A with that mean patience (s). Zero calls need 0 agents. Every KPI is
    monotone in the number of agents, so the search brackets the answer by doubling from
    the offered load and then bisects.
    """
    model = _model(calls, per_s, aht_s, patience_s)
    wanted = staffing_targets(targets, max_occupancy=max_occupancy, max_abandon=max_abandon)
    _check_agents(max_agents)
    if calls == 0:
        return 0
    thresholds = target_thresholds(wanted)
    short_s = float(short_abandon_s)
    _check_times(thresholds, short_s)

    def meets(n: int) -> bool:
        row = model.outcomes(n, thresholds, short_s).metrics(thresholds)
        return all(t.met_by(row) for t in wanted)

    # Bracket: lo fails (or is 0), hi meets.
    start = min(max_agents, max(1, math.floor(model.load_erlangs) + 1))
    if meets(start):
        lo, hi, step = 0, start, 1
        while hi - step >= 1 and meets(hi - step):
            hi -= step
            step *= 2
        lo = max(0, hi - step)
    else:
        lo, step = start, max(1, math.ceil(math.sqrt(model.load_erlangs)))
        while True:
            hi = min(max_agents, lo + step)
            if meets(hi):
                break
            if hi == max_agents:
                return None
            lo, step = hi, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def unmet_targets(metrics: Mapping[str, float | None], targets: Iterable[Target]) -> list[str]:
    """Readable reasons, one per target that ``metrics`` misses (for error messages)."""
    reasons = []
    for t in targets:
        if not t.met_by(metrics):
            actual = metrics.get(t.key)
            shown = "unbounded (no steady state)" if actual is None else f"{actual:.6g}"
            reasons.append(f"{t} (it is {shown})")
    return reasons


def headcount(agents: int, shrinkage: float) -> int:
    """Rostered headcount ceil(agents / (1 − shrinkage)) for ``agents`` on the phones.

    ``shrinkage`` is the fraction of paid time not available for calls, 0 ≤ s < 1.
    """
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    # Round away float noise first: 14 / (1 − 0.3) is 20.000000000000004, which is 20.
    return math.ceil(round(agents / (1.0 - shrinkage), 9))
