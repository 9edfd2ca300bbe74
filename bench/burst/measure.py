"""Pure helpers of ``bench/booking_burst.py``: CPU read from /proc, percentiles, and the summary of one run.

Nothing here starts a server or touches a database, so ``tests/bench/test_booking_burst_measure.py``
checks it against fake /proc trees and hand-made answer records.

CPU accounting. A process's ``/proc/<pid>/stat`` holds ``utime`` and ``stime`` (fields 14 and 15, clock
ticks) and ``cutime``/``cstime`` (16, 17: its reaped children). A process is keyed by (pid, starttime)
(field 22), so that a reused pid is never mistaken for the process that had it before. A run's CPU is
the sum, over every process seen in the "after" sample, of its ticks after minus its ticks before (0
before for a process that appeared during the run), plus for a process that vanished its last sampled
ticks minus its ticks before (the sampler keeps the last value it saw: what it ran after that is lost,
and ``vanished`` says how many did).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: A process as /proc knows it across pid reuse: (pid, starttime in ticks since boot).
ProcKey = tuple[int, int]

#: A refusal is this answer: "the booking was not made, and here is why". Any other 4xx is an error.
REFUSED_STATUS = 400
BOOKED_STATUS = 302


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    starttime: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def key(self) -> ProcKey:
        return (self.pid, self.starttime)

    @property
    def ticks(self) -> int:
        """CPU the process itself has used (user + system), in clock ticks."""
        return self.utime + self.stime

    @property
    def children_ticks(self) -> int:
        """CPU of its children that have exited and been waited for."""
        return self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """One ``/proc/<pid>/stat`` line. The command name (field 2) is in parentheses and may itself hold
    spaces or parentheses, so the fields are counted from the last ``)``."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()  # fields[0] is field 3 (state)
    return ProcStat(
        pid=pid,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
        starttime=int(fields[19]),
    )


def read_stat(pid: int, *, proc_root: Path | str = "/proc") -> ProcStat | None:
    """The stat of one process, or None if it has gone (or never was)."""
    try:
        text = (Path(proc_root) / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return parse_stat(text)


def all_stats(*, proc_root: Path | str = "/proc") -> list[ProcStat]:
    stats = []
    for entry in Path(proc_root).iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name), proc_root=proc_root)) is not None:
            stats.append(stat)
    return stats


def process_tree(root_pid: int, *, proc_root: Path | str = "/proc") -> list[ProcStat]:
    """The process ``root_pid`` and all its descendants (gunicorn's master and its workers)."""
    stats = all_stats(proc_root=proc_root)
    by_parent: dict[int, list[ProcStat]] = {}
    root = None
    for s in stats:
        by_parent.setdefault(s.ppid, []).append(s)
        if s.pid == root_pid:
            root = s
    if root is None:
        return []
    tree, todo = [root], [root.pid]
    while todo:
        for child in by_parent.get(todo.pop(), []):
            tree.append(child)
            todo.append(child.pid)
    return tree


def ticks_of(stats: Iterable[ProcStat], *, with_children_of: int | None = None) -> dict[ProcKey, int]:
    """{process key: ticks}. ``with_children_of``: for that pid, the CPU of its reaped children counts as
    its own (gunicorn's master reaps a worker that was restarted: its CPU stays in the run's figure)."""
    return {s.key: s.ticks + (s.children_ticks if s.pid == with_children_of else 0) for s in stats}


@dataclass
class CpuDelta:
    ticks: int
    processes: int  # seen in either sample
    appeared: int  # not in "before"
    vanished: int  # in "before" or seen during the run, gone at the end

    def ms(self, *, clock_ticks: int | None = None) -> float:
        return self.ticks * 1000 / (clock_ticks or os.sysconf("SC_CLK_TCK"))


def cpu_delta(
    before: Mapping[ProcKey, int],
    after: Mapping[ProcKey, int],
    last_seen: Mapping[ProcKey, int] | None = None,
) -> CpuDelta:
    """CPU used between two samples by the processes in them. ``last_seen``: the highest ticks a sampler
    saw for each process during the run, which counts for one that is gone by ``after``."""
    last_seen = last_seen or {}
    keys = set(before) | set(after) | set(last_seen)
    ticks = appeared = vanished = 0
    for key in keys:
        start = before.get(key, 0)
        if key not in before:
            appeared += 1
        if key in after:
            end = after[key]
        else:
            vanished += 1
            end = last_seen.get(key, start)
        ticks += max(end - start, 0)
    return CpuDelta(ticks=ticks, processes=len(keys), appeared=appeared, vanished=vanished)


def machine_ticks(*, proc_root: Path | str = "/proc") -> tuple[int, int, int]:
    """(busy, steal, total) clock ticks of all CPUs since boot, from the ``cpu`` line of ``/proc/stat``:
    busy is user, nice, system, irq and softirq; steal is time the hypervisor gave to someone else.
    Between two samples it tells how much the rest of the machine ran beside the bench (three engineers
    share two cores) and how much the host took away."""
    first = (Path(proc_root) / "stat").read_text().splitlines()[0].split()
    if first[0] != "cpu":
        raise ValueError(f"not the cpu line of /proc/stat: {first[:2]}")
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (
        user + nice + system + irq + softirq,
        steal,
        user + nice + system + idle + iowait + irq + softirq + steal,
    )


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0..100) by linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile out of range: {p}")
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def classify(record: Mapping) -> str:
    """'booked' (the redirect), 'refused' (400: the small page that says why), or 'error' (anything else:
    a 5xx, a 403 from CSRF, a 200 page, a request that failed)."""
    if record.get("error"):
        return "error"
    if record.get("status") == BOOKED_STATUS:
        return "booked"
    if record.get("status") == REFUSED_STATUS:
        return "refused"
    return "error"


def summarise_run(
    records: list[Mapping],
    *,
    seconds: float,
    cpu_ms: float,
    floor_cpu_ms_per_request: float | None,
    seats: int,
    registered: Mapping[int, str],
    start: float,
) -> dict:
    """The figures of one burst from its answers and what the database holds afterwards.

    ``records``: one per request, {person, sent, done, status, error} (times from one monotonic clock,
    ``start`` = when the burst was let go). ``registered``: {person id: status} of the registrations the
    burst made ('confirmed', 'waitlisted', ...). ``cpu_ms``: server plus PostgreSQL CPU over the burst.

    An answer must agree with the database: a redirect for a person without a registration, or a refusal
    for one who has one, is an error (``mismatched``), as is any answer that is neither.
    """
    kinds = [classify(r) for r in records]
    mismatched = sum(
        1
        for r, kind in zip(records, kinds, strict=True)
        if (kind == "booked" and r["person"] not in registered)
        or (kind == "refused" and r["person"] in registered)
    )
    confirmed = [p for p, status in registered.items() if status == "confirmed"]
    confirmed_set = set(confirmed)
    latencies_ms = [(r["done"] - r["sent"]) * 1000 for r in records]
    refusal_ms = [
        (r["done"] - r["sent"]) * 1000 for r, k in zip(records, kinds, strict=True) if k == "refused"
    ]
    refusal_bytes = [r.get("bytes", 0) for r, k in zip(records, kinds, strict=True) if k == "refused"]
    seat_answers = [r["done"] for r in records if r["person"] in confirmed_set]
    sold_out = len(confirmed) >= seats and seat_answers
    n = len(records)
    cpu_per_request = cpu_ms / n if n else None
    out = {
        "requests": n,
        "cpu_ms_per_booking": _r(cpu_per_request, 2),
        "cpu_ms_per_floor_request": _r(floor_cpu_ms_per_request, 2),
        "cpu_ratio_to_floor": _r(cpu_per_request / floor_cpu_ms_per_request, 2)
        if cpu_per_request and floor_cpu_ms_per_request
        else None,
        "bookings_per_second": _r(n / seconds if seconds else None, 1),
        "seconds": _r(seconds, 3),
        "p50_ms": _r(percentile(latencies_ms, 50), 1),
        "p95_ms": _r(percentile(latencies_ms, 95), 1),
        "max_ms": _r(max(latencies_ms, default=None), 1),
        # From letting the burst go to the answer of the last resident who got a seat.
        "sellout_s": _r(max(seat_answers) - start, 3) if sold_out else None,
        "confirmed": len(confirmed),
        "waitlisted": sum(1 for status in registered.values() if status == "waitlisted"),
        "refused": kinds.count("refused"),
        "overbooked": max(len(confirmed) - seats, 0),
        "errors": kinds.count("error") + mismatched,
        "mismatched": mismatched,
        "refusal_p50_ms": _r(percentile(refusal_ms, 50), 1),
        "refusal_bytes_median": _r(percentile(refusal_bytes, 50), 0),
    }
    return out


def _r(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return int(round(value)) if digits == 0 else round(value, digits)
