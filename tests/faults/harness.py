"""The fault harness: the portal in production mode as real processes, and faults put to it (issue 8).

Plain Python (no pytest), used by ``tests/faults/test_*.py`` and by ``bench/outbox_faults.py``.

What runs, for one scenario (:class:`Stack`):

- a private ``redis-server`` on a free port (stopped and started again on the same port for a fault),
- a fresh PostgreSQL database on the shared server, copied (``CREATE DATABASE ... TEMPLATE``) from a
  template migrated and filled once per test run (:func:`template_database`: the pytest-xdist workers of
  one run share it, any other process makes its own), dropped afterwards,
- gunicorn (``portal.wsgi:application``, 2 sync workers), a Celery worker (``-Q urgent,celery``,
  prefork, concurrency 2) and a Celery beat, all in production mode (``DJANGO_DEBUG`` unset, a secret
  key, ``DJANGO_ALLOWED_HOSTS=127.0.0.1``, static files collected with the manifest storage),
- the Aliyun backend pointed at :class:`tests.fakes.aliyun.FakeAliyun`, which records every send on
  arrival, with the notify timings made small (stuck 8 s, settle 2 s, requeue 5 s, scan 1 s).

Production sets secure cookies and redirects plain HTTP to HTTPS; neither can be switched off from the
environment, and neither should be: the harness talks to gunicorn as the TLS-terminating proxy of a
deployment does (``X-Forwarded-Proto: https``, ``SECURE_PROXY_SSL_HEADER``), and its browser keeps and
returns secure cookies over the loopback connection.

The scenarios at the end each return one dict: ``fault, triggered, receipts, duplicates, lost, http_5xx,
seconds_to_delivery_after_recovery`` and details. Everything started is stopped, and every database
dropped, even when a scenario fails; the whole logs of a scenario that did not deliver in time are kept
(``kept_logs``: a ``/tmp/zhaoxi-faults-logs-*`` directory).

    python -m tests.faults.harness kill_worker_mid_send   # one scenario, its dict as JSON
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
from psycopg import sql
from psycopg.rows import dict_row

from tests.fakes import aliyun as fake_aliyun
from tests.fakes.aliyun import FakeAliyun, Receipt

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# The people of the scenario data (see build_data).
STAFF_PHONE = "+8613800000001"
STAFF_PASSWORD = "Fault-drill-staff-2026"
RESIDENT_PHONE = "+8613800000002"  # booked on the one-seat session, signs in and cancels
RESIDENT_PASSWORD = "Fault-drill-resident-2026"
WAITING_PHONE = "+8613800000003"  # next on that session's waitlist: offered the seat
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, the staff member's authenticator app

#: Sizes of the sessions of the template's activity: the staff message goes to one of them.
DEFAULT_SESSIONS = {"small": 3, "batch": 40}

#: Notify timings for the processes under test (seconds): small, so that a run takes a minute, not ten.
#: The stuck time stays above the send time limit (notify_timings), as the settings require; the scan
#: runs every second, so every wait on it (recovery, settling, the quiet period) is short.
NOTIFY_TIMINGS = {
    "ZHAOXI_NOTIFY_STUCK_SECONDS": "8",
    "ZHAOXI_NOTIFY_SETTLE_SECONDS": "2",
    "ZHAOXI_NOTIFY_REQUEUE_SECONDS": "5",
    "ZHAOXI_NOTIFY_SCAN_SECONDS": "1",
}
SMS_TIMEOUT = 2.0


def notify_timings(sms_timeout: float = SMS_TIMEOUT) -> dict[str, str]:
    """NOTIFY_TIMINGS, with a send time limit above the SMS timeout and the stuck time above that."""
    limit = max(5, int(sms_timeout) + 3)
    stuck = max(int(NOTIFY_TIMINGS["ZHAOXI_NOTIFY_STUCK_SECONDS"]), limit + 2)
    return {
        **NOTIFY_TIMINGS,
        "ZHAOXI_NOTIFY_SEND_TIME_LIMIT": str(limit),
        "ZHAOXI_NOTIFY_STUCK_SECONDS": str(stuck),
    }


#: Outbox states after which a row never changes by itself.
FINAL_STATUSES = frozenset({"sent", "failed", "cancelled", "expired"})

#: Environment variables never handed to the processes under test (pytest's, and development switches).
_DROPPED_ENV = ("DJANGO_DEBUG", "CELERY_TASK_ALWAYS_EAGER", "REDIS_CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


class HarnessError(RuntimeError):
    """A process did not start, a condition was not met in time: the message says what and shows logs."""


# --- small helpers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = ""):
    """Poll ``condition`` until it returns something truthy (returned) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        time.sleep(interval)


def national(phone: str) -> str:
    """National digits of a mainland mobile number (what the provider sees)."""
    return fake_aliyun._national(phone)


def totp_now(secret: str = TOTP_SECRET, *, at: float | None = None, period: int = 30) -> str:
    """The six-digit TOTP (RFC 6238, SHA-1) an authenticator app shows for ``secret``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _server_url() -> str:
    """The PostgreSQL server of DATABASE_URL (any database name), as a libpq URL."""
    url = os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not url.startswith(("postgres://", "postgresql://")):
        raise HarnessError(f"the fault harness needs PostgreSQL: DATABASE_URL={url!r}")
    return url


def database_url(name: str) -> str:
    parts = urlsplit(_server_url())
    return urlunsplit(parts._replace(path="/" + name))


def _admin_connect(**kwargs) -> psycopg.Connection:
    return psycopg.connect(database_url("postgres"), autocommit=True, connect_timeout=5, **kwargs)


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


def drop_database(name: str) -> None:
    with _admin_connect() as conn:
        if _database_exists(conn, name):
            conn.execute(f"ALTER DATABASE {_ident(name)} ALLOW_CONNECTIONS true")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f"DROP DATABASE IF EXISTS {_ident(name)}")


def _database_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


# --- processes ---------------------------------------------------------------------------------------


def base_env(**overrides: str) -> dict[str, str]:
    """The environment of a process under test: production mode, pytest's variables removed."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "ALIYUN_SMS_", "ZHAOXI_NOTIFY_")) and k not in _DROPPED_ENV
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_READ_DOT_ENV_FILE": "false",
            "DJANGO_SECRET_KEY": "faults-" + secrets.token_hex(24),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


class Proc:
    """One process (with its children, in a process group of its own), its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ({self.log_path}) ---\n" + self.log()[-chars:]

    def children(self) -> list[int]:
        """Pids of the direct children (a Celery worker's pool processes)."""
        kids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                kids.append(int(stat.parent.name))
        return kids

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, *, timeout: float = 20) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.proc.wait(timeout=10)
        # whatever the group left behind (pool processes orphaned by a kill of the main process)
        self.signal_group(signal.SIGKILL)
        self._log.close()

    def kill(self) -> None:
        """kill -9 of the main process and every child."""
        self.signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)


def run_checked(argv: list[str], env: dict[str, str], *, timeout: float = 300) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise HarnessError(
            f"{' '.join(argv[:4])} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


class PrivateRedis:
    """A redis-server of our own on a free port, to stop and start again on the same port."""

    def __init__(self, work_dir: Path):
        self.port = free_port()
        self.dir = work_dir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise HarnessError("redis-server is not installed")
        self.proc = subprocess.Popen(  # noqa: S603
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, interval=0.05, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


# --- the template database and the static files, once per process ------------------------------------


_templates: dict[str, str] = {}  # sessions key -> template name, the templates this process used
_static_root: Path | None = None
_lock = threading.Lock()


def _run_key() -> str:
    """What names this run's templates: the pytest-xdist run (its workers share them), else this process."""
    run = re.sub(r"[^a-z0-9]", "", os.environ.get("PYTEST_XDIST_TESTRUNUID", "").lower())
    return f"x{run[:16]}" if run else f"p{os.getpid()}"


def _template_name(key: str) -> str:
    return f"zhaoxi_faults_tpl_{_run_key()}_{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@contextlib.contextmanager
def _template_lock(name: str):
    """An admin connection holding a PostgreSQL advisory lock for the template ``name``: building it,
    copying it and dropping it never overlap, whichever process of the run does them."""
    lock_id = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with _admin_connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [lock_id])
        try:
            yield conn
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", [lock_id])


def _template_data(conn, name: str) -> dict | None:
    """The scenario data stored with a finished template (its database comment), None when it is missing
    or half-built."""
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    ).fetchone()
    if not row or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def _cleanup_templates() -> None:
    for name in list(_templates.values()):
        with contextlib.suppress(Exception), _template_lock(name):
            drop_database(name)
    _templates.clear()
    if _static_root is not None:
        shutil.rmtree(_static_root, ignore_errors=True)


atexit.register(_cleanup_templates)


def cleanup() -> None:
    """Drop the template databases this process used and its collected static files (atexit does it too).
    Another process of the run that needs a template again makes it again."""
    _cleanup_templates()


def static_root() -> Path:
    """collectstatic with production's manifest storage, once per process."""
    global _static_root
    with _lock:
        if _static_root is None:
            root = Path(tempfile.mkdtemp(prefix="zhaoxi-faults-static-"))
            env = base_env(
                DATABASE_URL=database_url("postgres"),
                REDIS_URL="redis://127.0.0.1:1/0",
                DJANGO_STATIC_ROOT=str(root),
                ZHAOXI_VAR_DIR=str(root / "var"),
            )
            run_checked([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
            _static_root = root
        return _static_root


def _build_template(conn, name: str, sessions: dict[str, int]) -> dict:
    """Make the template ``name`` (its lock held on ``conn``): migrated, the scenario data in it, and the
    data (ids and phones) kept as its comment, written last: a template with a comment is complete."""
    if _database_exists(conn, name):
        drop_database(name)  # half-built by a process that stopped
    conn.execute(f"CREATE DATABASE {_ident(name)}")
    tmp = Path(tempfile.mkdtemp(prefix="zhaoxi-faults-tpl-"))
    redis = PrivateRedis(tmp)  # takes what the bookings queue; thrown away with it
    try:
        redis.start()
        env = base_env(
            DATABASE_URL=database_url(name),
            REDIS_URL=redis.url,
            DJANGO_STATIC_ROOT=str(tmp),
            ZHAOXI_VAR_DIR=str(tmp),
            DJANGO_CONN_MAX_AGE="0",
        )
        # One process migrates and fills it (one Django start-up, not two).
        out = run_checked(
            [sys.executable, "-m", "tests.faults.harness", "build-data", json.dumps(sessions), "--migrate"],
            env,
        )
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    match = re.search(r"^FAULTS-DATA (.*)$", out, re.M)
    if not match:
        raise HarnessError("build-data printed no data:\n" + out[-3000:])
    data = json.loads(match.group(1))
    conn.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(name), sql.Literal(json.dumps(data, ensure_ascii=False))
        )
    )
    return data


@contextlib.contextmanager
def template_database(sessions: dict[str, int] | None = None):
    """``with template_database(sessions) as (name, data):`` a migrated database with the scenario data
    (``build_data``), made once per run and size, locked while the block runs (copy it there).

    ``data`` is what build_data printed (ids and phones)."""
    sessions = dict(sessions or DEFAULT_SESSIONS)
    key = json.dumps(sessions, sort_keys=True)
    name = _template_name(key)
    with _lock:
        _templates[key] = name
    with _template_lock(name) as conn:
        data = _template_data(conn, name)
        if data is None:
            data = _build_template(conn, name, sessions)
        yield name, data


def build_data(sessions: dict[str, int]) -> dict:
    """Runs inside Django (``python -m tests.faults.harness build-data``): the scenario data.

    One staff member (community staff, TOTP on) organising one activity; for each entry of ``sessions``
    a session with that many residents booked (each with an account and a phone of her own); a one-seat
    session with the resident who signs in booked and another resident on its waitlist. The outbox rows
    the bookings wrote are cancelled: a scenario counts only what it triggers."""
    import datetime

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.db import transaction
    from django.utils import timezone

    from events.models import Activity, Registration, Session
    from events.services.booking import booking_create
    from portal.accounts.models import Role, User
    from portal.community.services import person_ensure_for_user
    from portal.notify.models import Message

    now = timezone.now()

    def resident(phone: str, name: str, password: str | None = None):
        user = User.objects.create_user(phone, password, name=name)
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])
        person_ensure_for_user(user=user)
        user.refresh_from_db()
        return user

    with transaction.atomic():
        staff = User.objects.create_user(
            STAFF_PHONE, STAFF_PASSWORD, name="演练工作人员", role=Role.COMMUNITY_STAFF
        )
        staff.phone_verified = True
        staff.save(update_fields=["phone_verified"])
        if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(staff, TOTP_SECRET)
        activity = Activity.objects.create(
            title="故障演练活动",
            place="永兴社区活动室",
            status="published",
            organiser_user=staff,
            waitlist_enabled=True,
            booking_opens_at=now - datetime.timedelta(days=1),
            booking_closes_at=now + datetime.timedelta(days=5),
        )
        out = {"activity_id": activity.pk, "sessions": {}}
        for index, (label, size) in enumerate(sorted(sessions.items()), start=1):
            session = Session.objects.create(
                activity=activity,
                starts_at=now + datetime.timedelta(days=7, hours=index),
                ends_at=now + datetime.timedelta(days=7, hours=index + 1),
                capacity=size,
            )
            phones = []
            for i in range(size):
                phone = f"+86137{index:02d}{i:06d}"
                user = resident(phone, f"演练居民{index}-{i}")
                booking_create(actor=user, activity=activity, persons=[user.person], session=session)
                phones.append(phone)
            out["sessions"][label] = {"id": session.pk, "phones": phones}
        one_seat = Session.objects.create(
            activity=activity,
            starts_at=now + datetime.timedelta(days=8),
            ends_at=now + datetime.timedelta(days=8, hours=1),
            capacity=1,
        )
        booked = resident(RESIDENT_PHONE, "演练居民甲", RESIDENT_PASSWORD)
        waiting = resident(WAITING_PHONE, "演练居民乙")
        booking_create(actor=booked, activity=activity, persons=[booked.person], session=one_seat)
        booking_create(actor=waiting, activity=activity, persons=[waiting.person], session=one_seat)
        reg = Registration.objects.get(session=one_seat, person=booked.person)
        out["one_seat"] = {
            "session_id": one_seat.pk,
            "registration_id": reg.pk,
            "status": reg.status,
            "waiting_status": Registration.objects.get(session=one_seat, person=waiting.person).status,
        }
        Message.objects.exclude(status__in=["sent", "cancelled"]).update(status="cancelled")
    return out


# --- the database under test, read straight with psycopg --------------------------------------------


class ScenarioDB:
    def __init__(self, name: str):
        self.name = name
        self.url = database_url(name)

    def query(self, sql: str, params: Iterable = ()) -> list[dict]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=3, row_factory=dict_row) as conn:
            return conn.execute(sql, list(params)).fetchall()

    def try_query(self, sql: str, params: Iterable = ()) -> list[dict] | None:
        """``query``, or None while the database cannot be reached."""
        try:
            return self.query(sql, params)
        except psycopg.OperationalError:
            return None

    def max_message_id(self) -> int:
        return self.query("SELECT coalesce(max(id), 0) AS n FROM notify_message")[0]["n"]

    def messages(self, *, after: int, channel: str | None = "sms") -> list[dict]:
        sql = "SELECT * FROM notify_message WHERE id > %s"
        params: list = [after]
        if channel:
            sql += " AND channel = %s"
            params.append(channel)
        return self.query(sql + " ORDER BY id", params)

    def status_counts(self, *, after: int, channel: str | None = "sms") -> dict[str, int]:
        return dict(Counter(row["status"] for row in self.messages(after=after, channel=channel)))

    def block(self) -> None:
        """Nobody can connect any more, and every open connection is cut (the shared server keeps running)."""
        with _admin_connect() as conn:
            conn.execute(f"ALTER DATABASE {_ident(self.name)} ALLOW_CONNECTIONS false")
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )

    def allow(self) -> None:
        with _admin_connect() as conn:
            conn.execute(f"ALTER DATABASE {_ident(self.name)} ALLOW_CONNECTIONS true")


# --- a browser -----------------------------------------------------------------------------------------


class _FormParser(HTMLParser):
    """The fields of every <form> of a page: [{"action", "method", "fields": {name: value}}]."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower()})
            self.forms[-1]["fields"] = {}
            self.forms[-1]["names"] = set()
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            self.forms[-1]["names"].add(a["name"])
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.forms[-1]["fields"][a["name"]] = a.get("value") or "on"
            elif kind not in {"submit", "button", "image", "file"}:
                self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["names"].add(a["name"])
            self.forms[-1]["fields"][a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self.forms[-1]["names"].add(a["name"])

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def page_forms(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


#: Forms of the page frame (base template), never the one a flow means.
_CHROME_FORMS = frozenset({"/elder-mode/", "/i18n/setlang/", "/accounts/logout/"})


class Browser:
    """A person's browser against gunicorn, as behind the deployment's TLS proxy.

    Every answer (redirects included) is recorded in ``answers`` as (method, path, status)."""

    def __init__(self, base: str, *, answers: list | None = None, timeout: float = 30):
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.origin = "https://" + urlsplit(self.base).netloc
        self.http.headers.update(
            {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", "User-Agent": "zhaoxi-faults"}
        )
        self.answers = answers if answers is not None else []
        self.timeout = timeout

    def _keep_cookies(self) -> None:
        """Production's cookies are Secure; the proxy would carry them over TLS. requests only returns a
        secure cookie over https, so the flag is dropped on our copy (the loopback stands for the TLS hop)."""
        for cookie in self.http.cookies:
            cookie.secure = False

    def _request(self, method: str, path: str, *, follow: bool = True, **kwargs) -> requests.Response:
        """One request and (``follow``) its redirects, each answer recorded; redirects are followed here,
        not by requests, so that every hop carries the cookies the one before set."""
        kwargs.setdefault("timeout", self.timeout)
        url = self.base + path
        history = []
        for _hop in range(10):
            response = self.http.request(method, url, allow_redirects=False, **kwargs)
            self._keep_cookies()
            self.answers.append((method, urlsplit(response.url).path, response.status_code))
            if not follow or not response.is_redirect:
                break
            history.append(response)
            location = response.headers["Location"]
            parts = urlsplit(location)
            url = self.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            method, kwargs = "GET", {"timeout": kwargs["timeout"]}
        response.history = history
        return response

    def get(self, path: str, *, allow_redirects: bool = True, **kwargs) -> requests.Response:
        return self._request("GET", path, follow=allow_redirects, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        headers = {"Origin": self.origin, "Referer": self.origin + path}
        return self._request("POST", path, data=data, headers=headers, **kwargs)

    def submit(self, path: str, data: dict, *, field: str | None = None) -> requests.Response:
        """GET the page, fill its POST form (the one with ``field``, else the first) with ``data``, POST it
        to the form's action."""
        page = self.get(path)
        if page.status_code >= 400:
            return page
        return self.submit_page(page, data, field=field)

    def submit_page(
        self, page: requests.Response, data: dict, *, field: str | None = None
    ) -> requests.Response:
        forms = [f for f in page_forms(page.text) if f["method"] == "post"]
        # the page's own form, not the chrome every page has (elder mode, language, sign out)
        forms = [f for f in forms if f["action"] not in _CHROME_FORMS] or forms
        if field is not None:
            forms = [f for f in forms if field in f["names"]] or forms
        if not forms:
            raise HarnessError(f"no form on {page.url} (HTTP {page.status_code}):\n{page.text[:2000]}")
        form = forms[0]
        action = form["action"] or urlsplit(page.url).path
        if action.startswith("http"):
            action = urlsplit(action).path
        elif not action.startswith("/"):
            action = urlsplit(page.url).path.rsplit("/", 1)[0] + "/" + action
        return self.post(action, {**form["fields"], **data})

    def signed_in(self) -> bool:
        """A page only signed-in people see answers 200 (not the way to the sign-in page)."""
        response = self.get("/activities/mine/", allow_redirects=False)
        return response.status_code == 200

    # --- the flows of the site ----------------------------------------------------------------------

    def sign_in(self, phone: str, password: str, *, totp_secret: str | None = None) -> requests.Response:
        """allauth's sign-in, and the TOTP step for staff (a code that just rolled over is tried again)."""
        response = self.submit(
            "/accounts/login/", {"login": national(phone), "password": password}, field="login"
        )
        if totp_secret is None or "/2fa/" not in urlsplit(response.url).path:
            return response
        for _attempt in range(3):
            response = self.submit_page(response, {"code": totp_now(totp_secret)}, field="code")
            if "/2fa/" not in urlsplit(response.url).path or response.status_code >= 500:
                return response
            time.sleep(1)  # the code changed between reading and checking it: the next one
        return response

    def sign_up(self, phone: str, password: str, name: str = "演练新居民") -> requests.Response:
        data = {
            "name": name,
            "phone": national(phone),
            "email": "",
            "password1": password,
            "password2": password,
        }
        return self.submit("/accounts/signup/", data, field="password1")


def server_errors(answers: Iterable[tuple]) -> list[tuple]:
    return [a for a in answers if a[2] >= 500]


# --- one scenario's processes -------------------------------------------------------------------------


class Stack:
    """Redis, a database copied from the template, the fake provider, gunicorn, a worker and beat.

    ``with Stack(...) as stack:`` starts nothing but Redis, the database and the fake; call
    ``start_web()``, ``start_worker()``, ``start_beat()`` (or ``start_all()``). Everything is stopped and
    dropped on the way out, whatever happened."""

    def __init__(
        self,
        name: str,
        *,
        sessions: dict[str, int] | None = None,
        sms_timeout: float = SMS_TIMEOUT,
        env: dict[str, str] | None = None,
        fake: FakeAliyun | None = None,
    ):
        self.label = re.sub(r"[^a-z0-9_]", "_", name.lower())
        self.sessions = sessions
        self.sms_timeout = sms_timeout
        self.extra_env = dict(env or {})
        self.fake = fake
        self._own_fake = fake is None
        self.procs: dict[str, Proc] = {}
        self.retired: list[Proc] = []
        self.work = Path(tempfile.mkdtemp(prefix=f"zhaoxi-faults-{self.label}-"))
        self.redis = PrivateRedis(self.work)
        self.db: ScenarioDB | None = None
        self.data: dict = {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.answers: list[tuple] = []
        self._static: Path | None = None
        self._static_error: BaseException | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        # The static files are collected while the template is made or copied.
        collect = threading.Thread(target=self._collect_static, daemon=True)
        collect.start()
        db_name = f"zhaoxi_faults_{self.label}_{os.getpid()}_{secrets.token_hex(3)}"[:63]
        try:
            with template_database(self.sessions) as (template, self.data), _admin_connect() as conn:
                conn.execute(f"CREATE DATABASE {_ident(db_name)} TEMPLATE {_ident(template)}")
        finally:
            collect.join()
        self.db = ScenarioDB(db_name)
        if self._static_error is not None:
            raise self._static_error
        if self.fake is None:
            self.fake = FakeAliyun().start()
        self.redis.start()
        self.env = base_env(
            DATABASE_URL=self.db.url,
            REDIS_URL=self.redis.url,
            DJANGO_STATIC_ROOT=str(self._static),
            ZHAOXI_VAR_DIR=str(self.work / "var"),
            SMS_BACKEND="portal.accounts.sms.AliyunSMSBackend",
            ALIYUN_SMS_ENDPOINT=self.fake.url,
            ALIYUN_SMS_ACCESS_KEY_ID=fake_aliyun.ACCESS_KEY_ID,
            ALIYUN_SMS_ACCESS_KEY_SECRET=fake_aliyun.ACCESS_KEY_SECRET,
            ALIYUN_SMS_SIGN_NAME=fake_aliyun.SIGN_NAME,
            ALIYUN_SMS_TEMPLATE_CODE=fake_aliyun.TEMPLATE_CODE,
            ALIYUN_SMS_TIMEOUT=str(self.sms_timeout),
            **notify_timings(self.sms_timeout),
            **self.extra_env,
        )

    def _collect_static(self) -> None:
        try:
            self._static = static_root()
        except BaseException as exc:  # noqa: BLE001 - raised in open()
            self._static_error = exc

    def close(self) -> None:
        # The scenario is over and measured: its processes are killed at once, all together (a graceful
        # stop of each in turn took seconds and showed nothing).
        procs = [*self.procs.values(), *self.retired]
        for proc in procs:
            proc.signal_group(signal.SIGKILL)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.stop(timeout=10)
        self.procs.clear()
        with contextlib.suppress(Exception):
            self.redis.stop()
        if self.db is not None:
            with contextlib.suppress(Exception):
                drop_database(self.db.name)
        if self._own_fake and self.fake is not None:
            self.fake.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def logs(self, chars: int = 2500) -> str:
        """The end of every process's log, after the first lines that say a process gave up (a
        traceback's last line is all a tail shows of the error that started it)."""
        procs = [*self.retired, *self.procs.values()]
        alarms = [
            f"{p.name}: {line}"
            for p in procs
            for line in p.log().splitlines()
            if "CRITICAL" in line or "Unrecoverable" in line
        ]
        head = ("--- first alarms ---\n" + "\n".join(alarms[:5]) + "\n") if alarms else ""
        return head + "\n".join(p.tail(chars) for p in procs)

    def keep_logs(self) -> str:
        """A copy of every process's whole log, in a directory of its own that outlives the scenario
        (its work directory is removed on the way out); returns its path."""
        kept = Path(tempfile.mkdtemp(prefix=f"zhaoxi-faults-logs-{self.label}-"))
        for proc in [*self.retired, *self.procs.values()]:
            with contextlib.suppress(OSError):
                shutil.copy(proc.log_path, kept / proc.log_path.name)
        return str(kept)

    # --- the processes -----------------------------------------------------------------------------

    def start_web(self, *, workers: int = 2) -> None:
        argv = [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        argv += [
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        self.procs["web"] = proc = Proc("web", argv, self.env, self.work)

        def up():
            if not proc.alive():
                raise HarnessError("gunicorn stopped:\n" + proc.tail())
            try:
                response = requests.get(
                    self.base + "/health/",
                    headers={"X-Forwarded-Proto": "https"},
                    allow_redirects=False,
                    timeout=2,
                )
                return response.status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_for(up, timeout=60, interval=0.2, what="gunicorn to answer")

    def start_worker(self, *, concurrency: int = 2) -> Proc:
        """A Celery worker on both queues; returns once it says it is ready."""
        if "worker" in self.procs:
            self.retired.append(self.procs.pop("worker"))
        n = sum(1 for p in self.retired if p.name.startswith("worker")) + 1
        argv = [str(BIN / "celery"), "-A", "portal", "worker", "-Q", "urgent,celery", "--pool", "prefork"]
        argv += ["--concurrency", str(concurrency), "--loglevel", "INFO", "--hostname", f"faults{n}@%h"]
        argv += ["--without-mingle", "--without-gossip"]
        proc = Proc(f"worker{n}", argv, self.env, self.work)
        self.procs["worker"] = proc

        def ready():
            if not proc.alive():
                raise HarnessError("the Celery worker stopped:\n" + proc.tail())
            return " ready." in proc.log()

        wait_for(ready, timeout=60, interval=0.1, what="the Celery worker to be ready")
        return proc

    def start_beat(self) -> None:
        argv = [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel", "INFO"]
        argv += ["--schedule", str(self.work / "beat-schedule"), "--pidfile", ""]
        self.procs["beat"] = proc = Proc("beat", argv, self.env, self.work)
        wait_for(
            lambda: proc.log() and ("beat: Starting" in proc.log() or not proc.alive()),
            timeout=60,
            what="Celery beat to start",
        )
        if not proc.alive():
            raise HarnessError("Celery beat stopped:\n" + proc.tail())

    def start_all(self) -> None:
        """gunicorn, beat and the worker, started side by side."""
        errors: list[BaseException] = []

        def guarded(target):
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        threads = [threading.Thread(target=guarded, args=(f,)) for f in (self.start_web, self.start_beat)]
        for t in threads:
            t.start()
        self.start_worker()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def worker(self) -> Proc:
        return self.procs["worker"]

    # --- people ------------------------------------------------------------------------------------

    def browser(self) -> Browser:
        return Browser(self.base, answers=self.answers)

    def staff_browser(self) -> Browser:
        browser = self.browser()
        browser.sign_in(STAFF_PHONE, STAFF_PASSWORD, totp_secret=TOTP_SECRET)
        if not browser.signed_in():
            raise HarnessError("the staff member could not sign in:\n" + self.logs())
        return browser

    def staff_message(
        self, browser: Browser, session: str, text: str = "演练通知：活动照常进行。"
    ) -> requests.Response:
        """The staff message form of a session of the template (``session`` a key of its sessions)."""
        session_id = self.data["sessions"][session]["id"]
        return browser.submit(
            f"/activities/staff/sessions/{session_id}/message/", {"text": text}, field="text"
        )

    def phones(self, session: str) -> list[str]:
        return list(self.data["sessions"][session]["phones"])


# --- accounting ---------------------------------------------------------------------------------------


def account(rows: list[dict], receipts: list[Receipt], *, once: Iterable[str] = ()) -> dict:
    """Receipts against outbox rows: by the row's id passed as OutId, else by phone (a provider call that
    carried no OutId). ``once``: phones that must have had exactly one SMS whether or not a row exists
    (a code sent from the request by older code). Returns duplicates, lost, unsettled and per-row counts."""
    ids = {str(r["id"]) for r in rows}
    by_out = Counter(r.out_id for r in receipts if r.out_id in ids)
    leftover = Counter(r.phone for r in receipts if r.out_id not in ids)
    unmatched_rows = Counter(national(r["address"]) for r in rows if by_out[str(r["id"])] == 0)
    duplicates = sum(max(0, c - 1) for c in by_out.values())
    lost = 0
    for phone in set(leftover) | set(unmatched_rows):
        if phone in unmatched_rows:
            duplicates += max(0, leftover[phone] - unmatched_rows[phone])
            lost += max(0, unmatched_rows[phone] - leftover[phone])
    for phone in {national(p) for p in once}:
        if phone in unmatched_rows or any(national(r["address"]) == phone for r in rows):
            continue  # counted with its row
        duplicates += max(0, leftover[phone] - 1)
        lost += 1 if leftover[phone] == 0 else 0
    statuses = Counter(r["status"] for r in rows)
    unsettled = sum(n for s, n in statuses.items() if s not in FINAL_STATUSES)
    return {
        "rows": len(rows),
        "duplicates": duplicates,
        "lost": lost,
        "statuses": dict(statuses),
        "unsettled": unsettled,
        "blind_resends": sum(int(r.get("blind_resends") or 0) for r in rows),
    }


def wait_delivered(
    stack: Stack,
    *,
    after: int,
    expected: int,
    since: float,
    timeout: float = 60,
    once: Iterable[str] = (),
) -> tuple[float | None, list[dict]]:
    """Wait until ``expected`` SMS rows written after id ``after`` are all final (and ``once`` phones have a
    receipt). Returns (seconds from ``since`` until then, or None on timeout; the rows)."""
    once = [national(p) for p in once]
    deadline = time.monotonic() + timeout
    rows: list[dict] = []
    while time.monotonic() < deadline:
        got = stack.db.try_query(
            "SELECT * FROM notify_message WHERE id > %s AND channel = 'sms' ORDER BY id", [after]
        )
        if got is not None:
            rows = got
            phones = {r.phone for r in stack.fake.receipts}
            if (
                len(rows) >= expected
                and all(r["status"] in FINAL_STATUSES for r in rows)
                and all(p in phones for p in once)
            ):
                return time.monotonic() - since, rows
        time.sleep(0.2)
    return None, rows


def quiet_period(stack: Stack) -> float:
    """How long to keep watching after delivery for a late resend: two scans after a settle and a stuck
    recovery would have had their chance."""
    t = {k: float(v) for k, v in NOTIFY_TIMINGS.items()}
    return 2 * t["ZHAOXI_NOTIFY_SCAN_SECONDS"] + t["ZHAOXI_NOTIFY_SETTLE_SECONDS"]


def _result(fault: str, stack: Stack, *, after: int, expected: int, seconds, once=(), **extra) -> dict:
    rows = stack.db.messages(after=after)
    receipts = stack.fake.receipts
    figures = account(rows, receipts, once=once)
    return {
        "fault": fault,
        "triggered": expected,
        "receipts": len(receipts),
        "duplicates": figures["duplicates"],
        "lost": figures["lost"],
        "http_5xx": len(server_errors(stack.answers)),
        "seconds_to_delivery_after_recovery": round(seconds, 2) if seconds is not None else None,
        "delivered_in_time": seconds is not None,
        "outbox_rows": figures["rows"],
        "statuses": figures["statuses"],
        "unsettled": figures["unsettled"],
        "blind_resends": figures["blind_resends"],
        **extra,
    }


def _finish(
    stack: Stack, fault: str, *, after: int, expected: int, since: float, once=(), timeout=60, **extra
):
    seconds, _rows = wait_delivered(
        stack, after=after, expected=expected, since=since, timeout=timeout, once=once
    )
    if seconds is not None:
        # keep watching a little: a resend after the row looked final would show up here
        count = len(stack.fake.receipts)
        time.sleep(quiet_period(stack))
        extra["late_receipts"] = len(stack.fake.receipts) - count
    result = _result(fault, stack, after=after, expected=expected, seconds=seconds, once=once, **extra)
    if seconds is None:
        result["kept_logs"] = stack.keep_logs()
        result["logs"] = stack.logs(1500)
    return result


# --- the scenarios -----------------------------------------------------------------------------------


def _kill_mid_send(fault: str, *, n: int, delay: float, how: str) -> dict:
    """A staff message to ``n`` people; the worker is hit ``how`` while the first send is with the
    provider; a new worker is started at once."""
    sessions = {**DEFAULT_SESSIONS, "small": n} if n != DEFAULT_SESSIONS["small"] else None
    # The timeout outlasts the provider's delay (the sends are in flight, not timed out, when the worker
    # is hit) by a margin only: the stuck-row recovery the test waits for comes after the send time limit.
    with Stack(fault, sessions=sessions, sms_timeout=delay + 2) as stack:
        stack.start_all()
        staff = stack.staff_browser()
        after = stack.db.max_message_id()
        stack.fake.set(delay=delay)
        stack.staff_message(staff, "small")
        expected = len(stack.phones("small"))
        if not stack.fake.wait_for_receipts(1, timeout=30):
            raise HarnessError("no send reached the provider:\n" + stack.logs())
        worker = stack.worker()
        in_flight = len(stack.fake.receipts)
        if how == "kill":
            worker.kill()
        elif how == "term-child":
            for pid in worker.children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        elif how == "term-main":
            os.kill(worker.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(timeout=30)
        stack.fake.set(delay=min(delay, 0.5))
        since = time.monotonic()
        if how != "term-child" or not worker.alive():
            stack.start_worker()
        return _finish(
            stack, fault, after=after, expected=expected, since=since, in_flight_at_fault=in_flight
        )


def kill_worker_mid_send(*, n: int = 3, delay: float = 3.0) -> dict:
    """kill -9 of the worker (main process and pool) while SMS are with the provider."""
    return _kill_mid_send("kill_worker_mid_send", n=n, delay=delay, how="kill")


def sigterm_worker_mid_send(*, n: int = 3, delay: float = 3.0, target: str = "child") -> dict:
    """SIGTERM while SMS are with the provider: ``target="child"`` the pool process doing the send (the
    worker loses it), ``"main"`` the worker's main process (a warm shutdown)."""
    fault = "sigterm_worker_mid_send" + ("" if target == "child" else "_main")
    return _kill_mid_send(fault, n=n, delay=delay, how="term-child" if target == "child" else "term-main")


def slow_provider(*, n: int = 3, query: bool = True) -> dict:
    """The provider answers one second after the client's timeout (it has the message)."""
    fault = "slow_provider" if query else "slow_provider_no_query"
    sessions = {**DEFAULT_SESSIONS, "small": n} if n != DEFAULT_SESSIONS["small"] else None
    with Stack(fault, sessions=sessions) as stack:
        stack.start_all()
        staff = stack.staff_browser()
        after = stack.db.max_message_id()
        stack.fake.set(delay=SMS_TIMEOUT + 1, query=query)
        since = time.monotonic()
        stack.staff_message(staff, "small")
        expected = len(stack.phones("small"))
        return _finish(stack, fault, after=after, expected=expected, since=since, timeout=90)


def slow_provider_no_query(*, n: int = 3) -> dict:
    """As ``slow_provider``, with a provider that cannot be asked: at most one blind resend per message."""
    return slow_provider(n=n, query=False)


def postgres_blip_during_batch(*, n: int = 40, outage: float = 5.0, delay: float = 0.1) -> dict:
    """A staff message to ``n`` people; a quarter in, the database refuses every connection for ``outage``
    seconds (its backends are cut; the shared server keeps running)."""
    sessions = {**DEFAULT_SESSIONS, "batch": n}
    with Stack("postgres_blip_during_batch", sessions=sessions) as stack:
        stack.start_all()
        staff = stack.staff_browser()
        after = stack.db.max_message_id()
        stack.fake.set(delay=delay)
        stack.staff_message(staff, "batch")
        expected = n
        if not stack.fake.wait_for_receipts(max(1, n // 4), timeout=60):
            raise HarnessError("the batch did not start:\n" + stack.logs())
        at_fault = len(stack.fake.receipts)
        stack.db.block()
        try:
            time.sleep(outage)  # the fault's duration
        finally:
            stack.db.allow()
        since = time.monotonic()
        return _finish(
            stack,
            "postgres_blip_during_batch",
            after=after,
            expected=expected,
            since=since,
            receipts_at_fault=at_fault,
            outage_seconds=outage,
        )


#: The provider's delay while Redis is stopped under a send (below the SMS timeout: the send succeeds).
IN_FLIGHT_DELAY = 1.5


def redis_down_mixed(*, signups: int = 1) -> dict:
    """Redis stopped while a send is with the provider (a sign-up's code: the worker holds its message,
    not yet acknowledged); meanwhile through gunicorn: sign-up, sign-in (wrong and right password), a
    cancellation that frees a seat (the next on the waitlist is offered it), a staff message. Then Redis
    is started again on the same port.

    The send in flight is what stopped the worker for good before portal.celery.RedisTransport (the CI
    flake of issue 12): without it the outage met such a task only now and then, when the outbox scan
    happened to be running."""
    with Stack("redis_down_mixed") as stack:
        stack.start_all()
        after = stack.db.max_message_id()
        in_flight_phone = "+8613597000000"
        stack.fake.set(delay=IN_FLIGHT_DELAY)
        stack.browser().sign_up(in_flight_phone, "Quiet-river-2046")
        in_flight = stack.fake.wait_for_receipts(1, timeout=30)
        stack.redis.stop()
        stack.fake.set(delay=0)
        checks: dict[str, bool] = {"send_in_flight_at_outage": bool(in_flight)}
        outage_started = time.monotonic()

        new_phones = [f"+8613599{i:06d}" for i in range(signups)]
        for phone in new_phones:
            response = stack.browser().sign_up(phone, "Quiet-river-2046")
            checks.setdefault("signup_lands_on_code_page", True)
            checks["signup_lands_on_code_page"] &= response.status_code == 200 and "/verify" in response.url
        checks["signup_user_saved"] = all(
            stack.db.query("SELECT 1 FROM accounts_user WHERE phone = %s", [p]) for p in new_phones
        )

        wrong = stack.browser()
        response = wrong.sign_in(RESIDENT_PHONE, "not-the-password")
        checks["wrong_password_refused"] = response.status_code == 200 and not wrong.signed_in()

        resident = stack.browser()
        resident.sign_in(RESIDENT_PHONE, RESIDENT_PASSWORD)
        checks["right_password_signed_in"] = resident.signed_in()
        reg = stack.data["one_seat"]["registration_id"]
        response = resident.submit(f"/activities/registrations/{reg}/cancel/", {})
        checks["cancel_answered"] = (
            response.status_code == 200
            and "/activities/mine/" in response.url
            and "alert-success" in response.text  # "the place has been cancelled"
        )
        status = stack.db.query("SELECT status FROM events_registration WHERE id = %s", [reg])[0]["status"]
        checks["cancel_saved"] = status == "cancelled"

        staff = stack.browser()
        staff.sign_in(STAFF_PHONE, STAFF_PASSWORD, totp_secret=TOTP_SECRET)
        checks["staff_signed_in"] = staff.signed_in()
        response = stack.staff_message(staff, "small")
        checks["staff_message_answered"] = (
            response.status_code == 200 and "/staff/" in response.url and "alert-success" in response.text
        )
        outage = time.monotonic() - outage_started

        stack.redis.start()
        since = time.monotonic()
        rows_now = stack.db.messages(after=after)
        expected = max(len(rows_now), len(stack.phones("small")) + 1)  # staff message + the offer at least
        result = _finish(
            stack,
            "redis_down_mixed",
            after=after,
            expected=expected,
            since=since,
            once=[in_flight_phone, *new_phones],
            checks=checks,
            outage_seconds=round(outage, 2),
        )
        result["triggered"] = max(result["outbox_rows"], expected) + sum(
            1
            for p in [in_flight_phone, *new_phones]
            if not any(national(r["address"]) == national(p) for r in rows_now)
        )
        return result


def slow_provider_signup(*, delay: float = 9.0, signups: int = 2, samples: int = 5) -> dict:
    """The provider takes ``delay`` seconds; ``signups`` people sign up at once; meanwhile the home page
    is timed, against its time before in the same run."""
    with Stack("slow_provider_signup", sms_timeout=delay + 1) as stack:
        stack.start_all()
        probe = stack.browser()

        def home_seconds() -> float:
            start = time.perf_counter()
            probe.get("/")
            return time.perf_counter() - start

        for _ in range(3):
            home_seconds()  # warm every gunicorn worker
        baseline = sorted(home_seconds() for _ in range(samples))
        after = stack.db.max_message_id()
        stack.fake.set(delay=delay)
        phones = [f"+8613598{i:06d}" for i in range(signups)]
        signup_seconds: list[float] = []

        def sign_up(phone):
            start = time.perf_counter()
            stack.browser().sign_up(phone, "Quiet-river-2046")
            signup_seconds.append(time.perf_counter() - start)

        since = time.monotonic()
        threads = [threading.Thread(target=sign_up, args=(p,)) for p in phones]
        for t in threads:
            t.start()
        time.sleep(0.3)  # the sign-ups are in the workers
        during = sorted(home_seconds() for _ in range(samples))
        for t in threads:
            t.join()
        median = lambda xs: xs[len(xs) // 2]  # noqa: E731
        result = _finish(
            stack, "slow_provider_signup", after=after, expected=0, since=since, once=phones, timeout=90
        )
        result.update(
            triggered=signups,
            home_seconds_baseline=round(median(baseline), 4),
            home_seconds_during=round(median(during), 4),
            home_seconds_during_max=round(max(during), 4),
            ratio=round(median(during) / median(baseline), 2) if median(baseline) else None,
            signup_seconds=[round(s, 2) for s in sorted(signup_seconds)],
        )
        return result


def publish_wait(*, samples: int = 5) -> dict:
    """How long ``portal.tasks.publish`` (what a request does after commit) takes against a live broker
    and against a stopped one."""
    script = (
        "import json, time, django; django.setup()\n"
        "from portal.tasks import publish\n"
        "from portal.notify.tasks import send_due_messages\n"
        f"out = []\n"
        f"for _ in range({samples}):\n"
        "    t = time.perf_counter(); ok = publish(send_due_messages); out.append([time.perf_counter() - t, ok])\n"
        "print('FAULTS-PUBLISH ' + json.dumps(out))\n"
    )
    work = Path(tempfile.mkdtemp(prefix="zhaoxi-faults-publish-"))
    redis = PrivateRedis(work)
    try:
        redis.start()
        env = base_env(
            DATABASE_URL=database_url("postgres"),
            REDIS_URL=redis.url,
            DJANGO_STATIC_ROOT=str(work),
            ZHAOXI_VAR_DIR=str(work),
        )

        def measure() -> list:
            out = run_checked([sys.executable, "-c", script], env, timeout=300)
            return json.loads(re.search(r"^FAULTS-PUBLISH (.*)$", out, re.M).group(1))

        live = measure()
        redis.stop()
        down = measure()
    finally:
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    live_s = median([s for s, _ok in live])
    down_s = median([s for s, _ok in down])
    return {
        "publish_seconds_broker_up": round(live_s, 4),
        "publish_seconds_broker_down": round(down_s, 4),
        "publish_published_broker_down": sum(1 for _s, ok in down if ok),
        "ratio": round(down_s / live_s, 1) if live_s else None,
    }


SCENARIOS: dict[str, Callable[..., dict]] = {
    "kill_worker_mid_send": kill_worker_mid_send,
    "sigterm_worker_mid_send": sigterm_worker_mid_send,
    "slow_provider": slow_provider,
    "slow_provider_no_query": slow_provider_no_query,
    "postgres_blip_during_batch": postgres_blip_during_batch,
    "redis_down_mixed": redis_down_mixed,
    "slow_provider_signup": slow_provider_signup,
}


def main(argv: list[str]) -> int:
    if argv[:1] == ["build-data"]:
        import django

        django.setup()
        if "--migrate" in argv:
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
        args = [a for a in argv[1:] if not a.startswith("--")]
        data = build_data(json.loads(args[0]) if args else DEFAULT_SESSIONS)
        print("FAULTS-DATA " + json.dumps(data, ensure_ascii=False))
        return 0
    names = argv or list(SCENARIOS)
    for name in names:
        print(json.dumps(SCENARIOS[name](), ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
