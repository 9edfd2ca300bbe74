"""A burst of bookings over HTTP: 1,000 residents book a 30-seat class at the same moment.

    DATABASE_URL=postgres://... python bench/booking_burst.py   # PostgreSQL only (scratch database test_<name>)
    BENCH_MODES=waitlist,no_waitlist BENCH_CLIENT=threads|asyncio BENCH_WORKER_CLASS=sync|gthread \
    BENCH_BOOKINGS=1000 BENCH_SEATS=30 BENCH_CONCURRENCY=64 BENCH_WORKERS=4 BENCH_THREADS=4 python bench/booking_burst.py

For each mode in BENCH_MODES it builds BENCH_BOOKINGS residents of its own (users created in bulk, each
already signed in: a session row made directly, so the burst measures booking, not the password hasher)
and one first-come-first-served activity with one session of BENCH_SEATS seats: ``waitlist`` (today's
rules: 30 win, the rest queue) or ``no_waitlist`` (30 win, 970 are refused). One gunicorn serves every
mode (BENCH_WORKER_CLASS, default ``sync`` with BENCH_WORKERS=4; ``gthread`` adds BENCH_THREADS each) on a
free port against the scratch database, with ``bench/burst/settings.py`` (the portal's settings with
persistent database connections, and ``bench/burst/urls.py``: the portal's URLs plus the floor view,
which never ships in the app). Then the client fires one POST per resident at the real booking endpoint
(``events:detail``, the same form fields and CSRF pair a browser sends; each resident her own session
cookie and CSRF token): BENCH_CLIENT=threads, BENCH_CONCURRENCY threads (64: the bench's model for p95),
or BENCH_CLIENT=asyncio, every resident's request on its own connection at once (aiohttp). Each request
records when it was sent and when its answer came.

An answer is ``booked`` (the form's redirect), ``refused`` (a 400: the page that says why) or an error
(anything else, or a request that failed); a redirect for a resident the database holds no registration
for, or a refusal for one it does, is an error too. Read back from the database: ``confirmed`` (must
equal the seats), ``waitlisted`` (the rest, with a waitlist), ``overbooked`` (confirmed beyond the
seats), and ``waitlist_in_order``: queue numbers 1..n without a gap, in the order the server took the
bookings (registration ``created_at``), every seat taken before the first place on the waitlist, and no
booking answered before another was sent holds a later place than it (``client_order_violations``).

CPU per request (``bench/burst/measure.py``): user + system time from /proc of gunicorn's master and
workers (with the master's reaped children) and of the PostgreSQL backends connected to the scratch
database (``pg_stat_activity``, client backends; persistent connections keep them alive through the
run), sampled after warm-up, during the run (a backend that appears or goes is still counted) and
after the last answer. The bench runs on the same machine as PostgreSQL.

The floor, measured in each mode by the same harness, clients and CPU sampling right after its burst: a
bare view that inserts one row through the same middleware stack (session, CSRF, authentication, one
INSERT in a transaction, a redirect). ``ratio`` = floor_per_second / bookings_per_second, and
``cpu_ratio_to_floor`` = CPU per booking / CPU per floor request: what one booking costs in multiples
of the floor. gunicorn is stopped and the scratch database dropped even on failure. The last line of
output is one JSON object: the first mode's figures under today's top-level keys, and every mode's under
``modes``.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "1000"))
SEATS = int(os.environ.get("BENCH_SEATS", "30"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
CLIENT = os.environ.get("BENCH_CLIENT", "threads")
MODES = [m.strip() for m in os.environ.get("BENCH_MODES", "waitlist,no_waitlist").split(",") if m.strip()]
SAMPLE_EVERY = 0.25  # seconds between CPU samples during a burst
THREADS_PER_WORKER = THREADS if WORKER_CLASS == "gthread" else 1

for _name, _value, _allowed in (
    ("BENCH_WORKER_CLASS", WORKER_CLASS, ("sync", "gthread")),
    ("BENCH_CLIENT", CLIENT, ("threads", "asyncio")),
    *(("BENCH_MODES", m, ("waitlist", "no_waitlist")) for m in MODES),
):
    if _value not in _allowed:
        sys.exit(f"{_name}={_value!r}: expected one of {', '.join(_allowed)}")

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    # Row locks and many connections are the point: nothing to measure on SQLite (make bench goes on).
    print("booking_burst.py needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
    print(json.dumps({"skipped": "needs PostgreSQL"}))
    sys.exit(0)

import _scratch  # noqa: E402  (Django on a scratch database)
import psycopg  # noqa: E402
import requests  # noqa: E402
from burst import measure  # noqa: E402
from burst.urls import FLOOR_TABLE  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

PHONE_PREFIX = {"waitlist": "+86136", "no_waitlist": "+86137"}


# --- data ----------------------------------------------------------------------------------------------


def build_staff():
    from portal.accounts.models import Role, User

    return User.objects.create_user(
        "+8613900000001", "bench-pass-1", name="社区工作人员", role=Role.COMMUNITY_STAFF
    )


def build(now: datetime.datetime, *, mode: str, staff):
    """The class, its one session, and BOOKINGS signed-in residents: [(session cookie, CSRF token,
    person id)]. ``mode`` decides whether the class has a waitlist; each mode has residents of its own."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as SessionRow

    from events.models import Activity, Session
    from portal.accounts.models import User
    from portal.community.models import Person

    prefix = PHONE_PREFIX[mode]
    activity = Activity.objects.create(
        title="太极拳体验课" if mode == "waitlist" else "八段锦体验课",
        place="永兴社区活动室",
        status="published",
        organiser_user=staff,
        waitlist_enabled=mode == "waitlist",
        booking_opens_at=now - datetime.timedelta(days=1),
        booking_closes_at=now + datetime.timedelta(days=5),
    )
    session = Session.objects.create(
        activity=activity,
        starts_at=now + datetime.timedelta(days=7),
        ends_at=now + datetime.timedelta(days=7, hours=2),
        capacity=SEATS,
    )
    User.objects.bulk_create(
        [User(phone=f"{prefix}{i:08d}", name=f"居民{i}", password="!") for i in range(BOOKINGS)],
        batch_size=1000,
    )
    users = list(User.objects.filter(phone__startswith=prefix).order_by("pk"))
    Person.objects.bulk_create(
        [
            Person(name=u.name, user=u, birth_date=datetime.date(1980, 1, 1) + datetime.timedelta(days=i))
            for i, u in enumerate(users)
        ],
        batch_size=1000,
    )
    person_of = dict(Person.objects.filter(user__in=users).values_list("user_id", "pk"))

    # Signed in already: one session row each, as django.contrib.auth.login would leave it.
    backend = next(b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend"))
    store = SessionStore()
    expires = now + datetime.timedelta(days=1)
    rows, clients = [], []
    for user in users:
        key = secrets.token_hex(16)
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": backend,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        rows.append(SessionRow(session_key=key, session_data=store.encode(data), expire_date=expires))
        # Her own CSRF secret (32 characters, unmasked), sent as the cookie and the form field.
        clients.append((key, secrets.token_hex(16), person_of[user.pk]))
    SessionRow.objects.bulk_create(rows, batch_size=1000)
    return activity, session, clients


def create_floor_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, user_id bigint, person_id bigint, created_at timestamptz)"
        )


# --- gunicorn --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database_url(name: str | None = None) -> str:
    """DATABASE_URL with the scratch database's name (or ``name``) in place of the original one."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path="/" + (name or connection.settings_dict["NAME"])))


def start_gunicorn(port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url(),
        "DJANGO_SETTINGS_MODULE": "burst.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH_DIR)]),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # gunicorn turns sync into gthread when --threads > 1: pass it only for gthread.
    threads = ["--threads", str(THREADS)] if WORKER_CLASS == "gthread" else []
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            WORKER_CLASS,
            "--workers",
            str(WORKERS),
            *threads,
            "--backlog",
            "2048",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
    )
    proc.log = log
    return proc


def stop_gunicorn(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
    proc.log.close()


def wait_until_up(base: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn stopped:\n" + log_path.read_text(errors="replace")[-3000:])
        try:
            requests.get(base + "/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(
        "gunicorn did not answer within a minute:\n" + log_path.read_text(errors="replace")[-3000:]
    )


# --- CPU of the server and its PostgreSQL backends ---------------------------------------------------------


class CpuMeter:
    """CPU ticks of gunicorn (master, workers, the master's reaped children) and of the client backends
    connected to the scratch database, sampled before, every SAMPLE_EVERY seconds during, and after a
    burst. It asks pg_stat_activity from the maintenance database, so its own backend is not counted."""

    def __init__(self, gunicorn_pid: int, scratch_db: str):
        self.gunicorn_pid = gunicorn_pid
        self.scratch_db = scratch_db
        self.excluded: set[int] = set()  # the bench's own backends (reading back), not the server's
        self.pg = psycopg.connect(scratch_database_url("postgres"), autocommit=True)

    def close(self) -> None:
        self.pg.close()

    def backend_pids(self) -> list[int]:
        rows = self.pg.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            [self.scratch_db],
        ).fetchall()
        return [pid for (pid,) in rows if pid not in self.excluded]

    def sample(self) -> tuple[dict, dict]:
        server = measure.ticks_of(measure.process_tree(self.gunicorn_pid), with_children_of=self.gunicorn_pid)
        stats = (measure.read_stat(pid) for pid in self.backend_pids())
        backends = measure.ticks_of(s for s in stats if s is not None)
        return server, backends

    def measure(self, work):
        """Run ``work()`` while sampling: (its result, server CpuDelta, PostgreSQL CpuDelta, machine
        (busy, steal, total ms) over the run)."""
        machine_before = measure.machine_ticks()
        server_before, pg_before = self.sample()
        seen_server, seen_pg = dict(server_before), dict(pg_before)
        stop = threading.Event()

        def sampler():
            while not stop.wait(SAMPLE_EVERY):
                server, backends = self.sample()
                seen_server.update(server)
                seen_pg.update(backends)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        try:
            result = work()
        finally:
            stop.set()
            thread.join()
        server_after, pg_after = self.sample()
        machine_after = measure.machine_ticks()
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        machine = tuple((a - b) * tick_ms for a, b in zip(machine_after, machine_before, strict=True))
        return (
            result,
            measure.cpu_delta(server_before, server_after, seen_server),
            measure.cpu_delta(pg_before, pg_after, seen_pg),
            machine,
        )


# --- the clients -----------------------------------------------------------------------------------------


_local = threading.local()


def _http() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _form(csrf: str, person_id: int, fields: dict) -> dict:
    return {"csrfmiddlewaretoken": csrf, "persons": str(person_id), **fields}


def _cookies(session_key: str, csrf: str) -> dict:
    return {settings.SESSION_COOKIE_NAME: session_key, settings.CSRF_COOKIE_NAME: csrf}


def fire_threads(url: str, clients, fields) -> tuple[list[dict], float, float]:
    """One POST per client from CONCURRENCY threads: [{index, person, sent, done, status, bytes, error}],
    the burst's start (perf_counter) and its seconds."""

    def one(index: int, session_key: str, csrf: str, person_id: int) -> dict:
        record = {"index": index, "person": person_id, "status": None, "bytes": 0, "error": ""}
        record["sent"] = time.perf_counter()
        try:
            response = _http().post(
                url,
                data=_form(csrf, person_id, fields),
                cookies=_cookies(session_key, csrf),
                allow_redirects=False,
                timeout=300,
            )
            record["status"] = response.status_code
            record["bytes"] = len(response.content)
        except requests.RequestException as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"[:200]
        record["done"] = time.perf_counter()
        return record

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for _warm in pool.map(lambda _i: _http(), range(CONCURRENCY)):
            pass
        start = time.perf_counter()
        futures = [pool.submit(one, i, *client) for i, client in enumerate(clients)]
        records = [f.result() for f in futures]
    return records, start, time.perf_counter() - start


def fire_asyncio(url: str, clients, fields) -> tuple[list[dict], float, float]:
    """Every client's POST at once, each on a connection of its own (aiohttp, no connection limit)."""
    import aiohttp

    async def burst():
        go = asyncio.Event()
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        ) as http:

            async def one(index: int, session_key: str, csrf: str, person_id: int) -> dict:
                record = {"index": index, "person": person_id, "status": None, "bytes": 0, "error": ""}
                cookie = "; ".join(f"{k}={v}" for k, v in _cookies(session_key, csrf).items())
                await go.wait()
                record["sent"] = time.perf_counter()
                try:
                    async with http.post(
                        url,
                        data=_form(csrf, person_id, fields),
                        headers={"Cookie": cookie},
                        allow_redirects=False,
                    ) as response:
                        record["bytes"] = len(await response.read())
                        record["status"] = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    record["error"] = f"{type(exc).__name__}: {exc}"[:200]
                record["done"] = time.perf_counter()
                return record

            tasks = [asyncio.create_task(one(i, *client)) for i, client in enumerate(clients)]
            await asyncio.sleep(0.1)  # every task is waiting at the gate
            start = time.perf_counter()
            go.set()
            records = await asyncio.gather(*tasks)
            return list(records), start, time.perf_counter() - start

    return asyncio.run(burst())


FIRE = {"threads": fire_threads, "asyncio": fire_asyncio}


def warm_up(url: str, clients) -> None:
    """Every worker imports, connects and renders once before the clock runs (a GET books nothing)."""
    n = 4 * WORKERS * THREADS_PER_WORKER
    with ThreadPoolExecutor(max_workers=max(WORKERS * THREADS_PER_WORKER, 8)) as pool:
        list(
            pool.map(
                lambda c: _http().get(url, cookies={settings.SESSION_COOKIE_NAME: c[0]}, timeout=60),
                clients[:n],
            )
        )


# --- reading back --------------------------------------------------------------------------------------


def order_violations(records: list[dict], rank_of_person: dict[int, int]) -> int:
    """Bookings answered before another was sent but holding a later place than it."""
    answered = [r for r in records if r["status"] == 302 and r["person"] in rank_of_person]
    by_done = sorted(answered, key=lambda r: r["done"])
    violations, i, best = 0, 0, -1
    for r in sorted(answered, key=lambda r: r["sent"]):
        while i < len(by_done) and by_done[i]["done"] < r["sent"]:
            best = max(best, rank_of_person[by_done[i]["person"]])
            i += 1
        if best > rank_of_person[r["person"]]:
            violations += 1
    return violations


def read_back(activity, session, records: list[dict]) -> dict:
    from events.models import Registration, RegistrationStatus

    regs = list(
        Registration.objects.filter(activity=activity, session=session)
        .order_by("created_at", "id")
        .values("person_id", "status", "queue_no", "created_at")
    )
    confirmed = [r for r in regs if r["status"] == RegistrationStatus.CONFIRMED]
    waitlisted = [r for r in regs if r["status"] == RegistrationStatus.WAITLISTED]
    by_queue = sorted(waitlisted, key=lambda r: r["queue_no"])
    rank = {r["person_id"]: i for i, r in enumerate(regs)}
    violations = order_violations(records, rank)
    in_order = (
        [r["queue_no"] for r in by_queue] == list(range(1, len(by_queue) + 1))
        and all(a["created_at"] < b["created_at"] for a, b in zip(by_queue, by_queue[1:], strict=False))
        and (
            not confirmed
            or not waitlisted
            or max(r["created_at"] for r in confirmed) < by_queue[0]["created_at"]
        )
        and violations == 0
    )
    return {
        "registrations": len(regs),
        "registered": {r["person_id"]: str(r["status"]) for r in regs},
        "waitlist_in_order": in_order,
        "client_order_violations": violations,
    }


def floor_rows(meter: CpuMeter | None = None) -> int:
    with connection.cursor() as cursor:
        if meter is not None:  # this backend may linger a moment after close(): never count it
            cursor.execute("SELECT pg_backend_pid()")
            meter.excluded.add(cursor.fetchone()[0])
        cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


def run_mode(mode: str, *, base: str, meter: CpuMeter, activity, session, clients) -> dict:
    """One burst of bookings, then one of the floor, each with its CPU: the mode's figures."""
    booking_url = base + reverse("events:detail", kwargs={"pk": activity.pk})
    floor_url = base + "/__bench_floor__/"
    fire = FIRE[CLIENT]
    warm_up(booking_url, clients)
    rows_before = floor_rows(meter)
    connection.close()  # the workers have the database to themselves while the clock runs

    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    load_1m = os.getloadavg()[0]
    (records, start, seconds), server, pg, (busy_ms, steal_ms, total_ms) = meter.measure(
        lambda: fire(booking_url, clients, {"session": str(session.pk), "book": "1"})
    )
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    (floor_records, _floor_start, floor_seconds), floor_server, floor_pg, floor_machine = meter.measure(
        lambda: fire(floor_url, clients, {"session": str(session.pk)})
    )

    figures = read_back(activity, session, records)
    floor_cpu_ms = floor_server.ms() + floor_pg.ms()
    summary = measure.summarise_run(
        records,
        seconds=seconds,
        cpu_ms=server.ms() + pg.ms(),
        floor_cpu_ms_per_request=floor_cpu_ms / len(floor_records) if floor_records else None,
        seats=SEATS,
        registered=figures["registered"],
        start=start,
    )
    floor_errors = sum(1 for r in floor_records if measure.classify(r) != "booked")
    floor_per_second = len(floor_records) / floor_seconds
    errors = [r for r in records if measure.classify(r) == "error"]
    if errors:
        sample = errors[0]
        print(f"{mode}: first error: status {sample['status']} {sample['error']}", file=sys.stderr)
    n = len(records)
    client_ms = (
        usage_after.ru_utime + usage_after.ru_stime - usage_before.ru_utime - usage_before.ru_stime
    ) * 1000
    return {
        **summary,
        "waitlist_in_order": figures["waitlist_in_order"],
        "client_order_violations": figures["client_order_violations"],
        "registrations": figures["registrations"],
        "server_cpu_ms_per_booking": round(server.ms() / n, 2),
        "pg_cpu_ms_per_booking": round(pg.ms() / n, 2),
        "server_cpu_ms_per_floor_request": round(floor_server.ms() / len(floor_records), 2),
        "pg_cpu_ms_per_floor_request": round(floor_pg.ms() / len(floor_records), 2),
        "client_cpu_ms_per_booking": round(client_ms / n, 2),
        # How busy the machine was: all CPUs' busy share over the burst, and what ran beside the bench
        # (neither server, PostgreSQL backends nor client) per booking. Figures from a busy machine are
        # higher per request than from a quiet one; the ratio to the floor moves much less.
        "machine_busy_pct": round(100 * busy_ms / total_ms, 1) if total_ms else None,
        "machine_steal_pct": round(100 * steal_ms / total_ms, 1) if total_ms else None,
        "other_cpu_ms_per_booking": round(max(busy_ms - server.ms() - pg.ms() - client_ms, 0) / n, 2),
        "load_1m_at_start": round(load_1m, 2),
        "pg_backends": pg.processes,
        "pg_backends_appeared": pg.appeared,
        "pg_backends_vanished": pg.vanished,
        "server_processes_appeared": server.appeared,
        "floor_per_second": round(floor_per_second, 1),
        "ratio": round(floor_per_second / (n / seconds), 2),
        "floor_seconds": round(floor_seconds, 4),
        "floor_p95_ms": round(
            measure.percentile([(r["done"] - r["sent"]) * 1000 for r in floor_records], 95), 1
        ),
        "floor_machine_busy_pct": round(100 * floor_machine[0] / floor_machine[2], 1)
        if floor_machine[2]
        else None,
        "floor_errors": floor_errors,
        "floor_rows": floor_rows() - rows_before,
    }


def main() -> dict:
    if CLIENT == "asyncio":  # one descriptor per connection, all open at once
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = BOOKINGS + 256
        if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    original = _scratch.scratch_database()
    scratch_db = connection.settings_dict["NAME"]
    proc = meter = None
    tmp_log = _scratch.TMP / "gunicorn.log"
    try:
        now = timezone.now()
        staff = build_staff()
        built = {mode: build(now, mode=mode, staff=staff) for mode in MODES}
        create_floor_table()
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_gunicorn(port, tmp_log)
        wait_until_up(base, proc, tmp_log)
        meter = CpuMeter(proc.pid, scratch_db)
        modes = {}
        for mode in MODES:
            activity, session, clients = built[mode]
            modes[mode] = run_mode(
                mode, base=base, meter=meter, activity=activity, session=session, clients=clients
            )
        first = modes.get("waitlist") or modes[MODES[0]]
        return {
            "database": connection.vendor,
            "bookings": BOOKINGS,
            "seats": SEATS,
            **{k: first[k] for k in ("confirmed", "waitlisted", "waitlist_in_order", "overbooked", "errors")},
            "registrations": first["registrations"],
            "client_order_violations": first["client_order_violations"],
            "bookings_per_second": first["bookings_per_second"],
            "floor_per_second": first["floor_per_second"],
            "ratio": first["ratio"],
            "seconds": first["seconds"],
            "floor_seconds": first["floor_seconds"],
            "floor_errors": first["floor_errors"],
            "floor_rows": first["floor_rows"],
            "workers": WORKERS,
            "threads_per_worker": THREADS_PER_WORKER,
            "concurrency": BOOKINGS if CLIENT == "asyncio" else CONCURRENCY,
            "worker_class": WORKER_CLASS,
            "client": CLIENT,
            "modes": modes,
        }
    finally:
        if meter is not None:
            meter.close()
        stop_gunicorn(proc)
        connection.close()
        _scratch.drop_scratch_database(original)


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
