"""A race window held open for the lock-off control runs of the concurrency tests.

A control shows that, without the lock, several workers pass the "already?" check before any of them writes.
A fixed pause inside the window (``_pool.RACE_PAUSE_SECONDS``, a module's own ``RACE_PAUSE_SECONDS``) loses
that race on a loaded machine: the first worker has written before the second has even looked. Here the
pause is replaced with a wait for the others: ``hold_open_until(n)`` lets nobody out of the window before
``n`` workers are in it (10 s at most), so every one of them has read before any has written, however busy
the machine is.

How many: two are enough where any second writer is a duplicate (one row, one claim, one message); a
control that needs more writers than places (three slots, seven places a day) waits for all its workers.
Only the lock-off controls use this: with the lock on, the second worker waits for the first one's lock,
never reaching the window while the first one is in it.
"""

from __future__ import annotations

import sys
import threading
import time

DEFAULT_TIMEOUT = 10.0


def hold_open_until(n: int, timeout: float = DEFAULT_TIMEOUT):
    """A callable each worker calls inside the window; it returns once ``n`` workers have arrived (or after
    ``timeout`` seconds, when fewer ever came: the control then fails on its own assertion)."""
    arrived = [0]
    enough = threading.Event()
    lock = threading.Lock()
    # The window is the racing workers'. The test's own thread passes straight through: a booking its
    # set-up makes after opening the window (a marathon's ticket) must not take a worker's place, or
    # wait out the timeout alone and then let the workers through one at a time.
    opener = threading.get_ident()

    def arrive() -> None:
        if threading.get_ident() == opener:
            return
        with lock:
            arrived[0] += 1
            if arrived[0] >= n:
                enough.set()
        enough.wait(timeout=timeout)

    return arrive


def hold_open_until_two(timeout: float = DEFAULT_TIMEOUT):
    return hold_open_until(2, timeout)


def hold_the_engine_window_open(monkeypatch, n: int = 2) -> None:
    """The engine's race window (``events.services._pool.race_pause``) held open until ``n`` workers are
    in, also where a service module imported ``race_pause`` by name (``from ._pool import race_pause``)."""
    from events.services import _pool

    original = _pool.race_pause
    window = hold_open_until(n)
    for name, module in list(sys.modules.items()):
        if name.startswith("events.services") and getattr(module, "race_pause", None) is original:
            monkeypatch.setattr(module, "race_pause", window)


class _TimeWithAWindow:
    """The ``time`` module as a service module sees it, whose ``sleep(marker)`` waits in the window."""

    def __init__(self, window, marker: float):
        self._window = window
        self._marker = marker

    def sleep(self, seconds: float) -> None:
        if seconds == self._marker:
            self._window()
        else:
            time.sleep(seconds)

    def __getattr__(self, name: str):
        return getattr(time, name)


def hold_the_pause_open(monkeypatch, module, n: int = 2) -> None:
    """A service module's own race window (``if RACE_PAUSE_SECONDS: time.sleep(RACE_PAUSE_SECONDS)``, e.g.
    ``youth.services.children``, ``elders.services.outreach``) held open until ``n`` workers are in."""
    marker = 1.0  # never slept: the window opens on this value and waits for the workers instead
    monkeypatch.setattr(module, "RACE_PAUSE_SECONDS", marker)
    monkeypatch.setattr(module, "time", _TimeWithAWindow(hold_open_until(n), marker))
