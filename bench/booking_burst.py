"""A burst of bookings over HTTP: 1,000 residents book a 30-seat class at the same moment.

    DATABASE_URL=postgres://... python bench/booking_burst.py   # PostgreSQL only (scratch database test_<name>)
    BENCH_BOOKINGS=1000 BENCH_SEATS=30 BENCH_CONCURRENCY=64 BENCH_WORKERS=4 BENCH_THREADS=4 python bench/booking_burst.py

It builds BENCH_BOOKINGS residents (users created in bulk, each already signed in: a session row made
directly, so the burst measures booking, not the password hasher), one first-come-first-served
activity with one session of BENCH_SEATS seats and a waitlist, and starts gunicorn (gthread,
BENCH_WORKERS x BENCH_THREADS) on a free port against the scratch database, with ``bench/burst/settings.py``
(the portal's settings, and ``bench/burst/urls.py``: the portal's URLs plus the floor view, which never
ships in the app). Then BENCH_CONCURRENCY client threads fire one POST per resident at the real booking
endpoint (``events:detail``, the same form fields and CSRF pair a browser sends), each recording when
it was sent and when its answer came.

Read back from the database: ``confirmed`` (must equal the seats), ``waitlisted`` (the rest),
``overbooked`` (confirmed beyond the seats), ``errors`` (any answer but the form's redirect, or a
request that failed), and ``waitlist_in_order``: queue numbers 1..n without a gap, in the order the
server took the bookings (registration ``created_at``), every seat taken before the first place on the
waitlist, and no booking answered before another was sent holds a later place than it
(``client_order_violations``).

The floor, measured in the same run by the same harness and clients: a bare view that inserts one row
through the same middleware stack (session, CSRF, authentication, one INSERT in a transaction, a
redirect). ``ratio`` = floor_per_second / bookings_per_second: what one booking costs in multiples of
the floor. gunicorn is stopped and the scratch database dropped even on failure. The last line of output
is one JSON object.
"""

from __future__ import annotations

import datetime
import json
import os
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

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    # Row locks and many connections are the point: nothing to measure on SQLite (make bench goes on).
    print("booking_burst.py needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
    print(json.dumps({"skipped": "needs PostgreSQL"}))
    sys.exit(0)

import _scratch  # noqa: E402  (Django on a scratch database)
import requests  # noqa: E402
from burst.urls import FLOOR_TABLE  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

PHONE_PREFIX = "+86136"


# --- data ----------------------------------------------------------------------------------------------


def build(now: datetime.datetime):
    """The class, its one session, and BOOKINGS signed-in residents: [(session cookie, person id)]."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as SessionRow

    from events.models import Activity, Session
    from portal.accounts.models import Role, User
    from portal.community.models import Person

    staff = User.objects.create_user(
        "+8613900000001", "bench-pass-1", name="社区工作人员", role=Role.COMMUNITY_STAFF
    )
    activity = Activity.objects.create(
        title="太极拳体验课",
        place="永兴社区活动室",
        status="published",
        organiser_user=staff,
        waitlist_enabled=True,
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
        [User(phone=f"{PHONE_PREFIX}{i:08d}", name=f"居民{i}", password="!") for i in range(BOOKINGS)],
        batch_size=1000,
    )
    users = list(User.objects.filter(phone__startswith=PHONE_PREFIX).order_by("pk"))
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
        clients.append((key, person_of[user.pk]))
    SessionRow.objects.bulk_create(rows, batch_size=1000)

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {FLOOR_TABLE} (id bigserial PRIMARY KEY, user_id bigint, person_id bigint, created_at timestamptz)"
        )
    return activity, session, clients


# --- gunicorn --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database_url() -> str:
    """DATABASE_URL with the scratch database's name in place of the original one."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def start_gunicorn(port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url(),
        "DJANGO_SETTINGS_MODULE": "burst.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH_DIR)]),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(log_path, "wb")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(
        [
            str(gunicorn),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--backlog",
            "2048",
            "--timeout",
            "120",
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


# --- the harness -----------------------------------------------------------------------------------------


_local = threading.local()


def _http() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def fire(url: str, clients, fields) -> tuple[list[dict], float]:
    """One POST per client from CONCURRENCY threads: [{index, person, sent, done, status, error}], seconds."""
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret, sent as cookie and field

    def one(index: int, session_key: str, person_id: int) -> dict:
        record = {"index": index, "person": person_id, "status": None, "error": ""}
        record["sent"] = time.perf_counter()
        try:
            response = _http().post(
                url,
                data={"csrfmiddlewaretoken": csrf, "persons": str(person_id), **fields},
                cookies={settings.SESSION_COOKIE_NAME: session_key, settings.CSRF_COOKIE_NAME: csrf},
                allow_redirects=False,
                timeout=120,
            )
            record["status"] = response.status_code
        except requests.RequestException as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"[:200]
        record["done"] = time.perf_counter()
        return record

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        for _warm in pool.map(lambda _i: _http(), range(CONCURRENCY)):
            pass
        start = time.perf_counter()
        futures = [pool.submit(one, i, key, person) for i, (key, person) in enumerate(clients)]
        records = [f.result() for f in futures]
    return records, time.perf_counter() - start


def warm_up(base: str, url: str, clients) -> None:
    """Every worker thread imports, connects and renders once before the clock runs (a GET books nothing)."""
    with ThreadPoolExecutor(max_workers=WORKERS * THREADS) as pool:
        list(
            pool.map(
                lambda c: _http().get(url, cookies={settings.SESSION_COOKIE_NAME: c[0]}, timeout=60),
                clients[: 4 * WORKERS * THREADS],
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
        "confirmed": len(confirmed),
        "waitlisted": len(waitlisted),
        "waitlist_in_order": in_order,
        "client_order_violations": violations,
        "overbooked": max(len(confirmed) - SEATS, 0),
    }


def main() -> dict:
    original = _scratch.scratch_database()
    proc = None
    tmp_log = _scratch.TMP / "gunicorn.log"
    try:
        now = timezone.now()
        activity, session, clients = build(now)
        connection.close()  # the workers have the database to themselves

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_gunicorn(port, tmp_log)
        wait_until_up(base, proc, tmp_log)
        booking_url = base + reverse("events:detail", kwargs={"pk": activity.pk})
        floor_url = base + "/__bench_floor__/"
        warm_up(base, booking_url, clients)

        records, seconds = fire(booking_url, clients, {"session": str(session.pk), "book": "1"})
        floor_records, floor_seconds = fire(floor_url, clients, {"session": str(session.pk)})

        errors = [r for r in records if r["status"] != 302]
        floor_errors = [r for r in floor_records if r["status"] != 302]
        figures = read_back(activity, session, records)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")  # noqa: S608
            floor_rows = cursor.fetchone()[0]
        bookings_per_second = len(records) / seconds
        floor_per_second = len(floor_records) / floor_seconds
        if errors:
            sample = errors[0]
            print(f"first error: status {sample['status']} {sample['error']}", file=sys.stderr)
        return {
            "database": connection.vendor,
            "bookings": BOOKINGS,
            "seats": SEATS,
            **{k: figures[k] for k in ("confirmed", "waitlisted", "waitlist_in_order", "overbooked")},
            "errors": len(errors),
            "registrations": figures["registrations"],
            "client_order_violations": figures["client_order_violations"],
            "bookings_per_second": round(bookings_per_second, 1),
            "floor_per_second": round(floor_per_second, 1),
            "ratio": round(floor_per_second / bookings_per_second, 2),
            "seconds": round(seconds, 4),
            "floor_seconds": round(floor_seconds, 4),
            "floor_errors": len(floor_errors),
            "floor_rows": floor_rows,
            "workers": WORKERS,
            "threads_per_worker": THREADS,
            "concurrency": CONCURRENCY,
        }
    finally:
        stop_gunicorn(proc)
        connection.close()
        _scratch.drop_scratch_database(original)


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
