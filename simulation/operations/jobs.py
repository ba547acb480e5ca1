"""Background jobs of the planner: "Simulate" and "Find staffing" while others keep working.

Erlang A answers at once; the SimPy model and the staffing optimiser take seconds to a
minute, so the planner's page hands them to a ``JobRunner`` and polls it. The runner is
made for one multi-threaded server process (waitress):

* ``submit(user, kind, params) -> job_id`` queues a job: ``simulate`` (replications of a
  scenario with 95% confidence intervals, overall and per interval) or ``find_staffing``
  (``simulation.planning.staffing.staffing_plan``: the fewest agents per interval meeting the
  targets, verified by simulation, the intervals that cannot meet them named);
* at most one queued or running job per user (``JobLimitError`` otherwise), and at most
  ``max_jobs`` running on the server at once (the rest wait their turn, ``queued``);
* ``status(job_id)`` gives the state (queued, running, done, failed, cancelled), the
  progress (replications done / total for ``simulate``; simulation rounds for
  ``find_staffing``, whose number is not known in advance) and a message;
* ``cancel(job_id)`` stops a job between two replications (a replication already
  running in a worker process is abandoned, not waited for);
* jobs are rows of the app-state SQLite store (``analytics.appstate``, table ``jobs``)
  and results are JSON files under ``workdir/<job_id>/``, so a page reload — or another
  thread — finds them; a job left queued or running by a server that stopped is marked
  failed when the next runner starts on the same store.

The scenario of a job is written to ``workdir/<job_id>/scenario.toml`` and read back from
there, so a ``simulate`` job's summary is exactly what ``cca simulate --scenario
<that file> --replications R --seed S`` prints: the same seeds
(``replication_seeds``), the same replications (``run_replication``) and the same KPI
layer (``replication_kpis``, ``summarise``).

Replications run on a process pool of ``workers`` processes per job (``forkserver``, as
forking a multi-threaded server is unsafe), or in the job's own thread when
``workers`` is 1.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from analytics.appstate import AppState, utc_now
from analytics.errors import check_choice
from analytics.jsonable import jsonable

KINDS = ("simulate", "find_staffing", "backtest")
PROGRESS_EVERY_S = 0.25  # a simulation's progress is written at most this often (a page polls ~1/s)
ACTIVE = ("queued", "running")
INTERVAL_NAMES = {900: "15min", 1800: "30min", 3600: "60min"}
# What one web user may ask of the server (the command line has no such bounds).
MAX_REPLICATIONS = 100
MAX_DAYS = 31  # of a scenario to simulate
TIME_LIMIT_S = 900.0  # a job running longer is stopped


class JobLimitError(RuntimeError):
    """The user already has a job queued or running."""


class JobCancelled(Exception):
    """Raised inside a job when it has been cancelled."""


class _Inline(Executor):
    """Runs work in the calling thread, checking for cancellation first."""

    def __init__(self, cancelled: threading.Event):
        self._cancelled = cancelled

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._cancelled.is_set():
            raise JobCancelled()
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            future.set_exception(exc)
        return future


class _Watched(Executor):
    """Wraps a job's executor: refuses work once the job is cancelled and counts calls of
    ``map`` (one per simulation round of the staffing optimiser)."""

    def __init__(self, inner: Executor, cancelled: threading.Event, on_round: Callable[[], None]):
        self._inner = inner
        self._cancelled = cancelled
        self._on_round = on_round

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._cancelled.is_set():
            raise JobCancelled()
        return self._inner.submit(fn, *args, **kwargs)

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        if self._cancelled.is_set():
            raise JobCancelled()
        futures = [self.submit(fn, *args) for args in zip(*iterables, strict=True)]
        results = []
        for f in futures:
            while True:
                if self._cancelled.is_set():
                    for g in futures:
                        g.cancel()
                    raise JobCancelled()
                try:
                    results.append(f.result(timeout=0.2))
                    break
                except TimeoutError:
                    continue
        self._on_round()
        return iter(results)


class JobRunner:
    """Runs planner jobs in the background of one server process (see the module docs).

    ``state``: the app-state store holding the ``jobs`` table; ``workdir``: where job
    scenarios and results go; ``max_jobs``: jobs running at once on the server;
    ``workers``: worker processes per job (1: replications in the job's thread).
    Bounds on what one job may ask: ``max_replications``, ``max_days`` of a scenario and
    ``time_limit_s`` of running (then it is stopped); one active job per user.
    """

    def __init__(
        self,
        state: AppState,
        workdir: str | Path,
        max_jobs: int = 2,
        *,
        workers: int | None = None,
        max_replications: int = MAX_REPLICATIONS,
        max_days: int = MAX_DAYS,
        time_limit_s: float = TIME_LIMIT_S,
    ):
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be >= 1, not {max_jobs!r}")
        self.state = state
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.max_jobs = max_jobs
        self.workers = workers
        self.max_replications = max_replications
        self.max_days = max_days
        self.time_limit_s = time_limit_s
        self._lock = threading.Lock()  # one submit at a time: the per-user check is atomic
        self._cancel: dict[str, threading.Event] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="cca-job")
        self._processes = None  # the replications' process pool, started on first use
        with self.state.connect() as con:
            con.execute(
                "UPDATE jobs SET state = 'failed', message = ?, finished_at = ? "
                "WHERE state IN ('queued', 'running')",
                ["the server stopped before the job finished", utc_now()],
            )

    # --- public API ---------------------------------------------------------------------

    def submit(self, user: str, kind: str, params: Mapping[str, Any]) -> str:
        """Queue a job for ``user`` and return its id.

        ``kind`` ``simulate``: params ``scenario`` (a ``Scenario`` from
        ``simulation.planning.whatif.whatif_scenario``) or ``scenario_toml`` (its text), optional
        ``replications`` (10), ``seed`` (0). ``find_staffing``: the same scenario keys,
        ``targets`` (list of text, default the scenario's), optional ``max_abandon``,
        ``shrinkage``, ``replications`` (10), ``seed`` (0), ``max_agents`` (500).
        Raises ``JobLimitError`` when the user has a job queued or running and
        ``ValueError`` for bad parameters.
        """
        check_choice("kind", kind, KINDS)
        if kind == "backtest":  # history, not a scenario: the store, centre and periods
            missing = [k for k in ("db", "centre", "train", "test") if not params.get(k)]
            if missing:
                raise ValueError(f"backtest params need {', '.join(missing)}")
            text, scenario = "", None
        else:
            text = self._scenario_text(params)
            scenario = _load(text)  # fails here, not in the background, if it is bad
        try:
            replications = int(params.get("replications", 10))
        except (TypeError, ValueError):
            raise ValueError(
                f"replications: {params.get('replications')!r} is not a number"
            ) from None
        if not 1 <= replications <= self.max_replications:
            raise ValueError(
                f"replications: {replications:,} is not between 1 and {self.max_replications}"
            )
        if scenario is not None and scenario.days > self.max_days:
            raise ValueError(
                f"days: {scenario.days} is more than {self.max_days} a job may simulate"
            )
        if kind == "find_staffing" and not (params.get("targets") or scenario.targets):
            raise ValueError("targets: give one like sl_offered_12>=0.8")
        stored = {k: v for k, v in params.items() if k not in ("scenario", "scenario_toml")}
        job_id = secrets.token_hex(8)
        folder = self.workdir / job_id
        with self._lock:
            with self.state.connect() as con:
                busy = con.execute(
                    "SELECT job_id FROM jobs WHERE username = ? AND state IN ('queued', 'running')",
                    [user],
                ).fetchone()
                if busy:
                    raise JobLimitError(
                        f"{user} already has job {busy['job_id']} queued or running; "
                        "wait for it or cancel it"
                    )
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "scenario.toml").write_text(text, encoding="utf-8")
                con.execute(
                    "INSERT INTO jobs (job_id, username, kind, state, params, total, message, "
                    "created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
                    [
                        job_id,
                        user,
                        kind,
                        json.dumps(jsonable(stored)),
                        replications if kind == "simulate" else 0,
                        "waiting for a free slot",
                        utc_now(),
                    ],
                )
            self._cancel[job_id] = threading.Event()
        self._pool.submit(self._run, job_id, kind, dict(stored))
        return job_id

    def status(self, job_id: str) -> dict[str, Any]:
        """``state``, ``progress`` (0..1; None while unknown), ``done``, ``total``,
        ``message``, ``kind``, ``username`` and the times. Raises ``KeyError`` for an
        unknown job."""
        with self.state.connect() as con:
            row = con.execute("SELECT * FROM jobs WHERE job_id = ?", [job_id]).fetchone()
        if row is None:
            raise KeyError(f"no job {job_id!r}")
        out = dict(row)
        out["params"] = json.loads(out["params"])
        done, total = out["done"], out["total"]
        if out["state"] == "done":
            out["progress"] = 1.0
        else:
            out["progress"] = done / total if total else None
        return out

    def jobs(self, user: str, limit: int = 20) -> list[dict[str, Any]]:
        """The user's newest jobs first (what a reloaded page shows)."""
        with self.state.connect() as con:
            ids = con.execute(
                "SELECT job_id FROM jobs WHERE username = ? ORDER BY created_at DESC, rowid DESC "
                "LIMIT ?",
                [user, int(limit)],
            ).fetchall()
        return [self.status(r["job_id"]) for r in ids]

    def cancel(self, job_id: str, user: str | None = None) -> bool:
        """Ask a queued or running job to stop; True if it was still active. With
        ``user``, only that user's own job (``PermissionError`` otherwise)."""
        with self.state.connect() as con:
            row = con.execute(
                "SELECT state, username FROM jobs WHERE job_id = ?", [job_id]
            ).fetchone()
            if row is None:
                raise KeyError(f"no job {job_id!r}")
            if user is not None and row["username"] != user:
                raise PermissionError(f"job {job_id!r} is not {user}'s")
            if row["state"] not in ACTIVE:
                return False
            if row["state"] == "queued":
                con.execute(
                    "UPDATE jobs SET state = 'cancelled', message = 'cancelled before it "
                    "started', finished_at = ? WHERE job_id = ?",
                    [utc_now(), job_id],
                )
        event = self._cancel.get(job_id)
        if event is not None:
            event.set()
        return True

    def result(self, job_id: str) -> dict[str, Any] | None:
        """The finished job's result (JSON as written; see ``_simulate`` and
        ``_find_staffing``), None while it is not done."""
        st = self.status(job_id)
        if st["state"] != "done" or not st["result_path"]:
            return None
        return json.loads(Path(st["result_path"]).read_text(encoding="utf-8"))

    def wait(self, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job has finished (for scripts and tests); its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            st = self.status(job_id)
            if st["state"] not in ACTIVE:
                return st
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {st['state']} after {timeout} s")
            time.sleep(0.05)

    def warm_up(self) -> None:
        """Start the worker processes now (a server calls this at start-up), so that the
        first "Simulate" does not wait for them to start and import the model."""
        pool = self._executor(threading.Event(), 2)
        if not isinstance(pool, _Inline):
            for _ in range(self.workers or 2):
                pool.submit(_warm)

    def shutdown(self, cancel: bool = True) -> None:
        """Stop taking jobs; cancel the running ones (``cancel``) and wait for them."""
        if cancel:
            for event in self._cancel.values():
                event.set()
        self._pool.shutdown(wait=True, cancel_futures=cancel)
        if self._processes is not None:
            self._processes.shutdown(wait=True, cancel_futures=True)

    # --- the work -------------------------------------------------------------------------

    @staticmethod
    def _scenario_text(params: Mapping[str, Any]) -> str:
        if params.get("scenario_toml"):
            return str(params["scenario_toml"])
        scenario = params.get("scenario")
        if scenario is None:
            raise ValueError("params need scenario (a what-if Scenario) or scenario_toml")
        from simulation.planning.whatif import scenario_toml_text

        return scenario_toml_text(scenario)

    def _update(self, job_id: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.state.connect() as con:
            con.execute(f"UPDATE jobs SET {sets} WHERE job_id = ?", [*fields.values(), job_id])

    def _run(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        cancelled = self._cancel[job_id]
        with self.state.connect() as con:
            row = con.execute("SELECT state FROM jobs WHERE job_id = ?", [job_id]).fetchone()
            if row is None or row["state"] != "queued":
                return  # cancelled while queued
            con.execute(
                "UPDATE jobs SET state = 'running', started_at = ?, message = ? WHERE job_id = ?",
                [utc_now(), "starting", job_id],
            )
        folder = self.workdir / job_id
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            cancelled.set()

        timer = threading.Timer(self.time_limit_s, expire)
        timer.daemon = True
        timer.start()
        try:
            text = (folder / "scenario.toml").read_text(encoding="utf-8")
            scenario = _load(text) if kind != "backtest" else None
            work = {"simulate": _simulate, "find_staffing": _find_staffing, "backtest": _backtest}
            result = work[kind](self, job_id, scenario, params, cancelled)
            path = folder / "result.json"
            path.write_text(json.dumps(jsonable(result)), encoding="utf-8")
            self._update(
                job_id,
                state="done",
                message="finished",
                result_path=str(path),
                finished_at=utc_now(),
            )
        except JobCancelled:
            message = "cancelled"
            if expired.is_set():
                message = f"stopped: it ran longer than the limit of {self.time_limit_s:g} s"
            self._update(job_id, state="cancelled", message=message, finished_at=utc_now())
        except Exception as exc:  # noqa: BLE001 - the job's failure is its row's message
            self._update(
                job_id,
                state="failed",
                message=f"{type(exc).__name__}: {exc}",
                finished_at=utc_now(),
            )
        finally:
            timer.cancel()
            self._cancel.pop(job_id, None)

    def _executor(self, cancelled: threading.Event, replications: int) -> Executor:
        """The executor for a job's replications: the runner's one process pool (started
        on first use and kept, so a job does not pay for starting workers), or the job's
        own thread when ``workers`` is 1 or there is one replication."""
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        n = self.workers or os.cpu_count() or 1
        if n <= 1 or replications <= 1:
            return _Inline(cancelled)
        with self._lock:
            if self._processes is None:
                # forkserver: forking a server with threads (waitress) can copy held
                # locks; its server process imports the model once for every worker.
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(
                    ["simulation.queue.model", "simulation.queue.replications"]
                )
                self._processes = ProcessPoolExecutor(max_workers=n, mp_context=ctx)
            return self._processes


def _load(text: str):
    from simulation.queue.scenario_file import scenario_from_dict

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"scenario: not valid TOML: {exc}") from None
    return scenario_from_dict(data, source="job scenario")


def replication_rows(scenario, seed: int, replication: int, interval: str | None):
    """One replication and its KPI rows (overall, and per ``interval`` if given), computed
    where it ran: a worker sends back a few hundred numbers, not every call. Both come
    from the thread's one in-memory DuckDB connection, kept between replications
    (opening one costs about as much as one of the KPI queries)."""
    import duckdb

    from simulation.queue.model import run_replication
    from simulation.queue.replications import replication_kpis

    frame = run_replication(scenario, seed, replication)
    con = getattr(_KPI_CONNECTION, "con", None)
    if con is None:
        con = _KPI_CONNECTION.con = duckdb.connect()
    overall = replication_kpis(frame, scenario, con=con)
    per_interval = replication_kpis(frame, scenario, interval=interval, con=con) if interval else []
    return overall, per_interval


_KPI_CONNECTION = threading.local()  # per thread: a DuckDB connection is not thread-safe


def _warm() -> bool:
    import simulation.operations.jobs  # noqa: F401 - imports the model and the KPI layer in the worker

    return True


def _simulate(runner: JobRunner, job_id: str, scenario, params, cancelled) -> dict[str, Any]:
    """Replications as ``run_replications`` runs them, one at a time so that progress and
    cancel work: ``summary`` (as ``cca simulate --format json``) and ``intervals`` (mean
    and 95% CI of every call KPI per interval, ``interval_start`` local ISO)."""
    from analytics.kpi import call_kpi_names
    from simulation.queue.replications import replication_seeds, summarise

    replications = int(params.get("replications", 10))
    seed = int(params.get("seed", 0))
    seeds = replication_seeds(seed, replications)
    scenario.timeline()
    names = call_kpi_names(scenario.thresholds_s)
    interval = INTERVAL_NAMES.get(scenario.interval_s)
    executor = runner._executor(cancelled, replications)
    inline = isinstance(executor, _Inline)
    futures: list[Future] = []
    rows: list[dict] = []
    per_interval: list[dict] = []
    runner._update(job_id, message=f"simulating {replications} replications", done=0)
    written = time.monotonic()
    try:
        work = ((replication_rows, scenario, s, k, interval) for k, s in enumerate(seeds))
        # A pool gets every replication at once; inline, each runs when its turn comes
        # (so progress and cancel are seen between replications).
        pending = (executor.submit(*w) for w in work)
        if not inline:
            futures = list(pending)
        for k, future in enumerate(pending if inline else futures):
            while True:
                if cancelled.is_set():
                    raise JobCancelled()
                try:
                    overall, by_interval = future.result(timeout=0.2)
                    break
                except TimeoutError:
                    continue
            rows.extend(overall)
            per_interval.extend(by_interval)
            # Progress at most every PROGRESS_EVERY_S (each write commits the app-state
            # file, ~20 ms): the first and the last replication always.
            now = time.monotonic()
            if k == 0 or k + 1 == replications or now - written >= PROGRESS_EVERY_S:
                runner._update(
                    job_id, done=k + 1, message=f"{k + 1} of {replications} replications done"
                )
                written = now
    finally:
        for f in futures:  # cancelled or failed: drop what has not started
            f.cancel()
    rows.sort(key=lambda r: r["replication"])
    summary = {"scenario": scenario.name, "seed": seed}
    summary.update(summarise(rows, range(replications), names)[0])
    intervals = summarise(per_interval, range(replications), names, ["interval_start"])
    intervals.sort(key=lambda r: r["interval_start"])
    return {
        "kind": "simulate",
        "scenario": scenario.name,
        "replications": replications,
        "seed": seed,
        "summary": summary,
        "intervals": intervals,
    }


def _rounds_counted(
    runner: JobRunner,
    job_id: str,
    cancelled: threading.Event,
    replications: int,
    progress: Callable[[int], str],
) -> _Watched:
    """The job's executor (``max(replications, 2)`` workers), refusing work once the job
    is cancelled; each round of simulations (a call of ``map``) counted as the job's
    ``done``, with ``progress(rounds)`` as its message."""
    rounds = 0

    def on_round() -> None:
        nonlocal rounds
        rounds += 1
        runner._update(job_id, done=rounds, message=progress(rounds))

    return _Watched(runner._executor(cancelled, max(replications, 2)), cancelled, on_round)


def _find_staffing(runner: JobRunner, job_id: str, scenario, params, cancelled) -> dict[str, Any]:
    """``staffing_plan`` of the scenario: ``agents`` (per interval of the horizon, the
    new plan), ``intervals`` (the plan's rows), ``unmet`` (interval_start and the
    targets missed), agent-hours of the plan and of bare Erlang A, and ``scenario_toml``
    (the scenario staffed with the plan)."""
    from simulation.planning.staffing import staffing_plan
    from simulation.planning.whatif import scenario_toml_text

    replications = int(params.get("replications", 10))
    watched = _rounds_counted(
        runner, job_id, cancelled, replications, lambda n: f"simulation round {n} done"
    )
    runner._update(job_id, message="Erlang A per interval, then verification by simulation")
    plan = staffing_plan(
        scenario,
        params.get("targets") or None,
        max_abandon=params.get("max_abandon"),
        shrinkage=float(params.get("shrinkage", 0.0)),
        max_agents=int(params.get("max_agents", 500)),
        replications=replications,
        seed=int(params.get("seed", 0)),
        executor=watched,
    )
    planned = plan.scenario.with_changes(
        name=f"{scenario.name}_staffed"[:64],
        description=f"staffing found for {', '.join(str(t) for t in plan.targets)}",
    )
    return {
        "kind": "find_staffing",
        "scenario": scenario.name,
        "targets": [str(t) for t in plan.targets],
        "agents": list(planned.staffing.per_interval or ()),
        "intervals": plan.rows(),
        "unmet": [
            {"interval_start": p.start, "missed": list(p.missed), "agents": p.agents}
            for p in plan.unmet
        ],
        "agent_hours": plan.agent_hours(),
        "erlang_agent_hours": plan.agent_hours("erlang_agents"),
        "rounds": plan.rounds,
        "replications": plan.replications,
        "scenario_toml": scenario_toml_text(planned),
    }


def _backtest(runner: JobRunner, job_id: str, _scenario, params, cancelled) -> dict[str, Any]:
    """``simulation.calibration.backtest.backtest_model`` of a centre's history: calibrate on ``train``,
    simulate ``test`` day by day; the rows (predicted against actual per day and for the
    whole period) are the result."""
    from analytics.centres import get_centre
    from analytics.periods import parse_period
    from analytics.store import Store
    from simulation.calibration.backtest import backtest_model

    replications = int(params.get("replications", 5))
    watched = _rounds_counted(
        runner, job_id, cancelled, replications, lambda n: f"{n} test days simulated"
    )
    train, test = parse_period(params["train"]), parse_period(params["test"])
    runner._update(job_id, message=f"calibrating on {train.label}, then simulating {test.label}")
    with Store(params["db"]).reader() as con:
        centre = get_centre(con, params["centre"])
        result = backtest_model(
            con,
            centre,
            train,
            test,
            replications=replications,
            seed=int(params.get("seed", 0)),
            staffing=params.get("staffing"),  # None: presence where calls carry agent ids
            executor=watched,
            progress=False,
        )
    return {
        "kind": "backtest",
        "centre": result.centre_id,
        "train": result.train.label,
        "test": result.test.label,
        "replications": result.replications,
        "kpis": list(result.kpis),
        "rows": result.rows,
        "staffing_source": result.staffing_source,
        "staffing": result.staffing,
    }
