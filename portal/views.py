"""Platform pages: the home page, the elder-mode switch and the health endpoint."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

logger = logging.getLogger(__name__)


def home(request):
    return render(request, "home.html")


def _safe_next(request) -> str:
    nxt = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    return nxt


@require_POST
def elder_mode_set(request):
    """Switch elder mode on or off: remembered in a cookie, and on the account when signed in."""
    on = request.POST.get("on") == "1"
    if request.user.is_authenticated and request.user.elder_mode != on:
        request.user.elder_mode = on
        request.user.save(update_fields=["elder_mode"])
    response = HttpResponseRedirect(_safe_next(request))
    response.set_cookie(
        settings.ELDER_MODE_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("health:ping", "pong", 10)
    if cache.get("health:ping") != "pong":
        raise RuntimeError("cache did not return the value just written")
    return "ok"


def _check_broker() -> str:
    from portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def health(request):
    """Reports the database, the cache and the Celery broker; 503 when any of them fails."""
    checks = {}
    healthy = True
    for name, check in (("database", _check_database), ("cache", _check_cache), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            logger.warning("health check %s failed: %s", name, exc)
            checks[name] = "error"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
