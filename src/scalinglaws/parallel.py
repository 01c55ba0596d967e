"""One way to run many independent tasks: in this process, or in local worker processes.

:func:`run_tasks` is the single executor interface of the package (``bench`` uses it for its
fits, ``discover`` will use it for candidate laws). Callers hand it a picklable function and a
list of picklable tasks and get back one :class:`TaskOutcome` per task, in task order, whatever
the number of workers: a task that raises or runs past its time limit is an outcome with
``ok=False`` and a one-line ``reason``, never an exception in the caller and never a sentinel
value.

Backends are looked up by name, so a distributed backend (Ray) can be added beside ``"local"``
without changing any caller.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ._errors import InputError, ScalingLawsError

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called in the calling process after each finished task."""

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one task.

    Attributes
    ----------
    index : int
        Position of the task in the list given to :func:`run_tasks`.
    ok : bool
        True when the function returned; False when it raised, timed out or its worker died.
    value : Any
        The function's return value (None when not ``ok``).
    reason : str or None
        One line saying why the task failed (None when ``ok``).
    seconds : float
        Wall time the task ran, in seconds (up to the time limit for a timed-out task).
    """

    index: int
    ok: bool
    value: Any = None
    reason: str | None = None
    seconds: float = 0.0


def run_tasks(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    jobs: int = 1,
    backend: str = "local",
    timeout: float | None = None,
    progress: Progress | None = None,
) -> list[TaskOutcome]:
    """Run ``fn(task)`` for every task and collect the outcomes in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to reach worker processes) taking one task.
    tasks : sequence
        The tasks; each must be picklable when workers are used.
    jobs : int
        Number of worker processes. With ``jobs=1`` and no ``timeout`` the tasks run one after
        another in this process (no start-up cost); otherwise in ``jobs`` local processes.
    backend : str
        ``"local"`` (processes on this machine), or ``"ray"`` (Ray tasks of one CPU each, at
        most ``jobs`` in flight, on the cluster named by ``RAY_ADDRESS`` or else a local Ray
        instance), or ``"ray:ADDRESS"`` for a given cluster (``ray:auto``,
        ``ray:ray://HOST:10001``). Ray is an optional extra (``pip install "scalinglaws[ray]"``).
    timeout : float, optional
        Time limit per task, in seconds. A task over its limit has its worker process killed
        (and replaced) and is reported as failed, ``"timed out after ... s"``.
    progress : callable, optional
        ``progress(done, total)`` after each finished task.

    Returns
    -------
    list of TaskOutcome
        One per task, ``outcomes[i].index == i``. Equal inputs give equal outcomes whatever
        ``jobs`` is, provided ``fn`` is deterministic.

    Raises
    ------
    InputError
        For an unknown backend, ``jobs < 1`` or a non-positive ``timeout``.
    """
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}")
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise InputError(f"the time limit per task must be a positive number of seconds, got "
                         f"{timeout!r}")
    name, _, address = backend.partition(":")
    runner = _BACKENDS.get(name)
    if runner is None:
        raise InputError(f"unknown backend {backend!r}; available: {', '.join(_BACKENDS)}")
    if address:
        if name != "ray":
            raise InputError(f"backend {name!r} takes no address (got {backend!r})")
        return _run_ray(fn, list(tasks), jobs=jobs, timeout=timeout, progress=progress,
                        address=address)
    return runner(fn, list(tasks), jobs=jobs, timeout=timeout, progress=progress)


def failure_reason(exc: BaseException) -> str:
    """One line describing an exception: the message of our own errors, else type and message.

    Parameters
    ----------
    exc : BaseException
        The exception raised by a task.

    Returns
    -------
    str
        The message with runs of white space (newlines included) collapsed to single spaces;
        for a :class:`ScalingLawsError` the message alone, for any other exception
        ``"TypeName: message"``. The type name alone when the message is empty.
    """
    text = " ".join(str(exc).split())
    if isinstance(exc, ScalingLawsError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# local backend


def _run_local(fn, tasks, *, jobs, timeout, progress) -> list[TaskOutcome]:
    if not tasks:
        return []
    if jobs == 1 and timeout is None:
        return list(_run_inline(fn, tasks, progress))
    return _run_processes(fn, tasks, jobs=min(jobs, len(tasks)), timeout=timeout,
                          progress=progress)


def _run_inline(fn, tasks, progress) -> Iterator[TaskOutcome]:
    for i, task in enumerate(tasks):
        start = time.perf_counter()
        try:
            outcome = TaskOutcome(i, True, fn(task), None, time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            outcome = TaskOutcome(i, False, None, failure_reason(exc), time.perf_counter() - start)
        if progress:
            progress(i + 1, len(tasks))
        yield outcome


def _worker_main(conn: Connection, fn: Callable[[Any], Any]) -> None:
    """Loop of a worker process: say it is ready, then receive ``(index, task)`` and send back
    the outcome until told to stop."""
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, task = message
        start = time.perf_counter()
        try:
            reply = (index, True, fn(task), None)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            reply = (index, False, None, failure_reason(exc))
        elapsed = time.perf_counter() - start
        try:
            conn.send((*reply, elapsed))
        except Exception as exc:  # noqa: BLE001 - e.g. a return value that cannot be pickled
            conn.send((index, False, None, f"the result could not be sent back: "
                                           f"{failure_reason(exc)}", elapsed))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    index: int | None = None  # task being run
    started: float = 0.0


@contextmanager
def _single_threaded_numerics() -> Iterator[None]:
    """Start workers with one BLAS/OpenMP thread each (unless the user chose otherwise), so that
    ``jobs`` workers use about ``jobs`` cores; the parent's environment is restored at once."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARIABLES}
    for k in _THREAD_VARIABLES:
        os.environ.setdefault(k, "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_START_TIMEOUT = 300.0  # seconds a new worker may take to import the package and say so


def _start_worker(ctx, fn) -> _Worker:
    """A new worker process, once it has started and said so.

    Raises
    ------
    ScalingLawsError
        If the process dies or stays silent while starting (typically a script that starts
        workers at import time, without an ``if __name__ == "__main__":`` guard).
    """
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_worker_main, args=(child, fn), daemon=True)
    with _single_threaded_numerics():
        process.start()
    child.close()
    message = None
    try:
        if parent.poll(_START_TIMEOUT):
            message = parent.recv()
    except (EOFError, OSError):
        message = None
    if message != "ready":
        process.kill()
        process.join(timeout=5)
        parent.close()
        raise ScalingLawsError(
            f"a worker process could not start (exit code {process.exitcode}); when running "
            "parallel work from a script, put the calling code under "
            "'if __name__ == \"__main__\":' so that worker processes can import it, or use "
            "jobs=1")
    return _Worker(process, parent)


def _stop(worker: _Worker, *, kill: bool) -> None:
    if kill:
        worker.process.kill()
    else:
        try:
            worker.conn.send(None)
        except (OSError, ValueError):
            worker.process.kill()
    worker.process.join(timeout=5)
    if worker.process.is_alive():  # pragma: no cover - a worker ignoring the stop message
        worker.process.kill()
        worker.process.join()
    worker.conn.close()


def _run_processes(fn, tasks, *, jobs, timeout, progress) -> list[TaskOutcome]:
    ctx = multiprocessing.get_context("spawn")  # safe with threads, same on every platform
    outcomes: dict[int, TaskOutcome] = {}
    pending = deque(enumerate(tasks))
    workers = [_start_worker(ctx, fn) for _ in range(jobs)]
    total = len(tasks)

    def finish(outcome: TaskOutcome) -> None:
        outcomes[outcome.index] = outcome
        if progress:
            progress(len(outcomes), total)

    try:
        while len(outcomes) < total:
            for k, w in enumerate(workers):
                if w.index is None and pending:
                    index, task = pending.popleft()
                    try:
                        try:
                            w.conn.send((index, task))
                        except (OSError, ValueError):  # the idle worker has gone: start another
                            _stop(w, kill=True)
                            workers[k] = w = _start_worker(ctx, fn)
                            w.conn.send((index, task))
                    except Exception as exc:  # noqa: BLE001 - e.g. a task that cannot be pickled
                        finish(TaskOutcome(index, False, None, "the task could not be sent to a "
                                           f"worker process: {failure_reason(exc)}"))
                        continue
                    w.index, w.started = index, time.perf_counter()
            busy = [w for w in workers if w.index is not None]
            if not busy:  # every task left failed before reaching a worker
                continue
            wait_for = None
            if timeout is not None:
                now = time.perf_counter()
                wait_for = max(0.0, min(w.started + timeout - now for w in busy))
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            for k, w in enumerate(workers):
                if w.index is None:
                    continue
                if w.conn in ready:
                    try:
                        index, ok, value, reason, elapsed = w.conn.recv()
                    except (EOFError, OSError):
                        w.process.join(timeout=5)
                        finish(TaskOutcome(w.index, False, None,
                                           f"the worker process died (exit code "
                                           f"{w.process.exitcode}) while running the task",
                                           time.perf_counter() - w.started))
                        _stop(w, kill=True)
                        workers[k] = _start_worker(ctx, fn) if pending else _idle(w)
                        continue
                    finish(TaskOutcome(index, ok, value, reason, elapsed))
                    w.index = None
                elif timeout is not None and time.perf_counter() - w.started >= timeout:
                    finish(TaskOutcome(w.index, False, None,
                                       f"timed out after {timeout:g} s (the time limit per task)",
                                       timeout))
                    _stop(w, kill=True)
                    workers[k] = _start_worker(ctx, fn) if pending else _idle(w)
    finally:
        for w in workers:
            if w.process is not None and w.process.is_alive():
                _stop(w, kill=w.index is not None)
    return [outcomes[i] for i in range(total)]


def _idle(dead: _Worker) -> _Worker:
    """A placeholder for a killed worker when no task is left to give a replacement."""
    return _Worker(process=dead.process, conn=dead.conn, index=None)


# ---------------------------------------------------------------------------------------------
# Ray backend (optional extra: pip install "scalinglaws[ray]")


def _ray_call(fn: Callable[[Any], Any], task: Any) -> tuple[bool, Any, str | None, float]:
    """Run one task inside a Ray worker; failures come back as values, like the local backend."""
    start = time.perf_counter()
    try:
        return True, fn(task), None, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
        return False, None, failure_reason(exc), time.perf_counter() - start


def _check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Fail at once, with a clear message, when a ``HOST:PORT`` (or ``ray://HOST:PORT``) Ray
    address accepts no connection: Ray itself keeps retrying for minutes."""
    if not address or address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # not HOST:PORT; Ray reports what it makes of it
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(f"cannot reach Ray at {address}: {exc.strerror or exc}; check the "
                         "address (--ray-address or RAY_ADDRESS) and that the cluster is "
                         "running") from None


def _run_ray(fn, tasks, *, jobs, timeout, progress, address=None) -> list[TaskOutcome]:
    """Run the tasks as Ray tasks (one CPU each), at most ``jobs`` in flight.

    Connects to ``address`` (``"auto"``, ``"HOST:PORT"``, ``"ray://HOST:10001"``), else to the
    cluster named by the ``RAY_ADDRESS`` environment variable, else starts a local Ray instance;
    a connection made earlier in the process is reused. The workers must be able to import
    ``scalinglaws`` (a local instance shares this environment).
    """
    if not tasks:
        return []
    try:
        import ray
    except ImportError:
        raise InputError("the ray backend needs Ray: pip install 'scalinglaws[ray]' "
                         "(ray>=2.9)") from None
    if not ray.is_initialized():
        target = address or os.environ.get("RAY_ADDRESS") or None
        _check_reachable(target)
        try:
            ray.init(address=target,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"cannot start or reach Ray at {address or 'a local instance'}: "
                             f"{failure_reason(exc)}") from None
    remote = ray.remote(num_cpus=1, max_retries=0)(_ray_call)
    fn_ref = ray.put(fn)
    outcomes: dict[int, TaskOutcome] = {}
    pending = deque(enumerate(tasks))
    running: dict[Any, tuple[int, float]] = {}
    total = len(tasks)
    while len(outcomes) < total:
        while pending and len(running) < jobs:
            index, task = pending.popleft()
            running[remote.remote(fn_ref, task)] = (index, time.perf_counter())
        wait_for = None
        if timeout is not None:
            now = time.perf_counter()
            wait_for = max(0.0, min(started + timeout - now for _, started in running.values()))
        ready, _ = ray.wait(list(running), num_returns=1, timeout=wait_for)
        for ref in ready:
            index, started = running.pop(ref)
            try:
                ok, value, reason, elapsed = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a worker that died
                ok, value, reason = False, None, f"the Ray task failed: {failure_reason(exc)}"
                elapsed = time.perf_counter() - started
            outcomes[index] = TaskOutcome(index, ok, value, reason, elapsed)
            if progress:
                progress(len(outcomes), total)
        if timeout is not None:
            now = time.perf_counter()
            for ref, (index, started) in list(running.items()):
                if now - started >= timeout:
                    ray.cancel(ref, force=True)
                    running.pop(ref)
                    outcomes[index] = TaskOutcome(index, False, None, f"timed out after "
                                                  f"{timeout:g} s (the time limit per task)",
                                                  timeout)
                    if progress:
                        progress(len(outcomes), total)
    return [outcomes[i] for i in range(total)]


_BACKENDS: Mapping[str, Callable[..., list[TaskOutcome]]] = {"local": _run_local, "ray": _run_ray}


__all__ = ["Progress", "TaskOutcome", "failure_reason", "run_tasks"]
