"""A race window held open for the lock-off control runs of the concurrency tests.

A control shows that, without the lock, two workers pass the "already?" check before either writes. A fixed
pause inside the window (``_pool.RACE_PAUSE_SECONDS``) loses that race on a loaded machine: the first worker
has written before the second has even looked. ``hold_open_until_two`` replaces the pause with a wait for a
second arrival (10 s at most), so the control shows the race however busy the machine is.
"""

from __future__ import annotations

import threading


def hold_open_until_two(timeout: float = 10.0):
    """A callable each worker calls inside the window; it returns once two workers have arrived."""
    arrived = [0]
    both = threading.Event()
    lock = threading.Lock()

    def arrive() -> None:
        with lock:
            arrived[0] += 1
            if arrived[0] >= 2:
                both.set()
        both.wait(timeout=timeout)

    return arrive


def hold_the_engine_window_open(monkeypatch) -> None:
    """The engine's race window (``events.services._pool.race_pause``) held open until two workers are in."""
    from events.services import _pool

    monkeypatch.setattr(_pool, "race_pause", hold_open_until_two())
