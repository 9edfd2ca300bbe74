"""While Redis is down, sign-in and sign-up keep working and their rate limits still hold: the platform cache
(portal.cache.FailoverCache) answers from the database table until Redis is back.

Each test starts its own redis-server on a free port and stops it mid-test; the machine's Redis is never
touched. allauth reads ``django.core.cache.cache``, which follows ``settings.CACHES``."""

import shutil
import socket
import subprocess
import time
import uuid

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from portal import cache as portal_cache
from portal.accounts.models import User
from portal.cache import FALLBACK_TABLE, CircuitBreaker, FailoverCache
from tests.accounts.factories import UserFactory

PASSWORD = "correct-horse-42"  # UserFactory's
RETRY_AFTER = 5


class FakeClock:
    """The breaker's clock, moved by hand: no test waits for real seconds to pass."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class OwnRedis:
    """A redis-server of this test's own on a free port, to stop and start at will."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=1)


@pytest.fixture
def own_redis():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def failover(settings, own_redis, clock):
    """The default cache: a FailoverCache on this test's own Redis, its breaker on the fake clock."""
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailoverCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "zhaoxi",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": RETRY_AFTER},
        }
    }
    cache.breaker.clock = clock
    yield cache
    portal_cache._breakers.pop(own_redis.url, None)


def _fallback_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(FALLBACK_TABLE)}")  # noqa: S608 - a constant
        return [row[0] for row in cursor.fetchall()]


def _login(client, password):
    return client.post(reverse("account_login"), {"login": "13900000001", "password": password})


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_in_with_the_right_password_works_while_redis_is_down(client, failover, own_redis):
    UserFactory(phone="+8613900000001")
    own_redis.stop()
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert failover.on_fallback


@pytest.mark.redis
@pytest.mark.django_db
def test_wrong_passwords_are_still_refused_after_the_limit_while_redis_is_down(client, failover, own_redis):
    """login_failed is 5/5m/key: counted in the database table that every process shares, so the sixth
    try is refused even with the right password, and a fresh session does not reset it."""
    UserFactory(phone="+8613900000001")
    own_redis.stop()
    for _ in range(5):
        response = _login(client, "wrong")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    other = client.__class__()
    response = _login(other, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session
    errors = " ".join(str(e) for errs in response.context["form"].errors.values() for e in errs)
    assert "后再试" in errors
    assert any("allauth:rl:allauth.account:login_failed" in key for key in _fallback_keys())


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_up_works_while_redis_is_down(client, failover, own_redis):
    own_redis.stop()
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": "Quiet-river-2046",
        "password2": "Quiet-river-2046",
    }
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 302
    assert response.url == reverse("account_verify_phone")
    assert User.objects.filter(phone="+8613912345678").exists()
    assert any("allauth:rl:allauth.account:signup" in key for key in _fallback_keys())


@pytest.mark.redis
@pytest.mark.django_db
def test_health_reports_the_cache_failing_while_pages_work(client, failover, own_redis):
    assert client.get(reverse("health")).json()["checks"]["cache"] == "ok"
    own_redis.stop()
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error"
    assert response.json()["checks"]["database"] == "ok"
    failover.set("answered", "by the database")
    assert failover.get("answered") == "by the database"
    assert client.get("/").status_code == 200
    assert client.get(reverse("account_login")).status_code == 200


@pytest.mark.redis
@pytest.mark.django_db
def test_back_on_redis_once_it_is_started_again(failover, own_redis, clock, caplog):
    own_redis.stop()
    failover.set("during", "db")
    assert failover.on_fallback and failover.get("during") == "db"
    assert "unreachable" in caplog.text
    own_redis.start()
    failover.set("still", "db")  # the breaker is open: no try before RETRY_AFTER
    assert own_redis.client().dbsize() == 0
    clock.advance(RETRY_AFTER)
    failover.set("after", "redis")
    assert not failover.on_fallback
    assert "reachable again" in caplog.text
    assert own_redis.client().exists(failover.make_key("after")) == 1
    assert failover.get("after") == "redis"
    assert failover.get("during") is None  # the database's copy is not read while Redis answers


def _fresh_locmem() -> LocMemCache:
    """A local-memory cache of its own (LocMemCache instances of one name share their store)."""
    return LocMemCache(f"test-{uuid.uuid4()}", {})


class FlakyPrimary(LocMemCache):
    """A primary that raises ``error`` while ``down``, and counts the calls that reached it."""

    def __init__(self, error):
        super().__init__(f"flaky-{uuid.uuid4()}", {})
        self.error = error
        self.down = False
        self.calls = 0

    def get(self, *args, **kwargs):
        self.calls += 1
        if self.down:
            raise self.error
        return super().get(*args, **kwargs)

    def set(self, *args, **kwargs):
        self.calls += 1
        if self.down:
            raise self.error
        return super().set(*args, **kwargs)


@pytest.mark.parametrize("error", [RedisTimeoutError("Timeout reading"), RedisConnectionError("refused")])
def test_circuit_breaker_one_failure_then_skipped_then_probed(error, clock):
    """After one failed call the primary is skipped for RETRY_AFTER seconds, then one call probes it."""
    failover = FailoverCache("redis://unused.invalid:1/0", {"OPTIONS": {"RETRY_AFTER": RETRY_AFTER}})
    failover.breaker = CircuitBreaker(name="test", retry_after=RETRY_AFTER, clock=clock)
    failover.primary = primary = FlakyPrimary(error)
    failover.fallback = _fresh_locmem()

    failover.set("k", "redis")
    primary.down = True
    assert failover.get("k") is None  # the one failure: answered by the fallback
    assert primary.calls == 2 and failover.on_fallback

    failover.set("k", "fallback")
    for _ in range(20):
        assert failover.get("k") == "fallback"
    assert primary.calls == 2  # skipped while open

    clock.advance(RETRY_AFTER)
    assert failover.get("k") == "fallback"  # the probe, still down
    assert primary.calls == 3
    clock.advance(RETRY_AFTER - 1)
    failover.get("k")
    assert primary.calls == 3

    primary.down = False
    clock.advance(1)
    assert failover.get("k") == "redis"  # probed, up again: the primary answers
    assert primary.calls == 4 and not failover.on_fallback
    failover.get("k")
    assert primary.calls == 5


def test_other_errors_are_raised_not_hidden(clock):
    """Only an unreachable Redis switches to the fallback; a real error (incr of a missing key) is raised."""
    failover = FailoverCache("redis://unused.invalid:1/0", {})
    failover.breaker = CircuitBreaker(name="test", retry_after=RETRY_AFTER, clock=clock)
    failover.primary = _fresh_locmem()
    failover.fallback = _fresh_locmem()
    with pytest.raises(ValueError):
        failover.incr("missing")
    assert not failover.on_fallback
