"""Platform pages: the home page, the elder-mode switch, the health endpoint and the CSRF failure page."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

logger = logging.getLogger(__name__)


#: The service areas of 一老一小 ("the old and the young"), shown as tiles on the home page. Each tile links
#: to the first of its URL names that resolves; an area not built yet is shown as "coming".
HOME_SERVICE_AREAS = (
    {
        "key": "elders",
        "icon": "bi-heart-pulse",
        "title": _("Elders"),
        "text": _("Meals, home care, health checks and smartphone classes for our older neighbours."),
        "urls": ("elders:index", "elders:home"),
    },
    {
        "key": "youth",
        "icon": "bi-balloon",
        "title": _("Children"),
        "text": _("Holiday classes, the summer day camp and parenting talks for families."),
        "urls": ("youth:index", "youth:home"),
    },
    {
        "key": "events",
        "icon": "bi-calendar-event",
        "title": _("Activities"),
        "text": _("Sign up for community activities, clinics and festivals, and volunteer at them."),
        "urls": ("events:index", "events:list", "events:activity_list"),
    },
    {
        "key": "deliberation",
        "icon": "bi-chat-square-text",
        "title": _("Deliberation"),
        "text": _(
            "Raise an issue, follow the consultation meetings and support the proposals you care about."
        ),
        "urls": ("deliberation:index", "deliberation:topic_list"),
    },
    {
        "key": "employment",
        "icon": "bi-briefcase",
        "title": _("Jobs near home"),
        "text": _('Skills training, job fairs and flexible posts such as "mum jobs".'),
        "urls": ("employment:index", "employment:post_list"),
    },
)


def _first_url(names) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def home(request):
    """The community's front page: what the portal offers, its partners and how to reach the committee.

    In elder mode (长辈版) a few large tiles instead: my bookings, activities for elders, messages, my
    family, and a call to the residents' committee when its phone is set (issue 9)."""
    from portal.community.models import Organization, OrganizationKind

    committee = {
        "address": settings.COMMUNITY_ADDRESS
        or _(
            "Party and public service centre, Zhongxing sub-district, Nantong Economic and Technological Development Zone"
        ),
        "phone": settings.COMMUNITY_PHONE,
        "hours": settings.COMMUNITY_OFFICE_HOURS or _("Monday to Friday, 8:30-11:30 and 13:30-17:30"),
    }
    context = {"committee": committee}
    if getattr(request, "elder_mode", False):
        # The elder home: tiles only (no service areas, no partners to query).
        context["elder_tiles"] = _elder_tiles(request.user)
    else:
        # Partners in the order of their kinds (nursing home, health centre, school, ...), then by name: read
        # by name, then sorted by kind in Python (a stable sort keeps the names' order), which costs less than
        # building and compiling the CASE expression of the order on every request.
        rank = {kind: i for i, kind in enumerate(OrganizationKind.values)}
        partners = sorted(
            Organization.objects.filter(is_active=True).only("name", "kind", "description").order_by("name"),
            key=lambda organization: rank.get(organization.kind, len(rank)),
        )
        areas = [{**area, "url": _first_url(area["urls"])} for area in HOME_SERVICE_AREAS]
        context.update(areas=areas, partners=partners)
    return render(request, "home.html", context)


def _elder_tiles(user) -> list[dict]:
    """The elder home's tiles, in the order elders use them (the call to the committee is added by the
    template, from the ``community_phone`` every page has)."""
    activities = {
        "key": "activities",
        "url": reverse("events:list") + "?audience=elders",
        "icon": "bi-calendar-heart",
        "label": _("Activities for me"),
    }
    if not user.is_authenticated:
        return [
            {
                "key": "sign-in",
                "url": reverse("account_login"),
                "icon": "bi-box-arrow-in-right",
                "label": _("Sign in"),
            },
            {
                "key": "sign-up",
                "url": reverse("account_signup"),
                "icon": "bi-person-plus",
                "label": _("Sign up with your phone"),
            },
            activities,
        ]
    return [
        {
            "key": "bookings",
            "url": reverse("events:my_bookings"),
            "icon": "bi-ticket-perforated",
            "label": _("My bookings"),
        },
        activities,
        {"key": "messages", "url": reverse("notify:inbox"), "icon": "bi-envelope", "label": _("Messages")},
        {
            "key": "family",
            "url": reverse("community:my_family"),
            "icon": "bi-people",
            "label": _("My family"),
        },
    ]


def _safe_next(request) -> str:
    nxt = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
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
    if getattr(cache, "on_fallback", False):  # portal.cache.FailoverCache: pages work, Redis does not
        raise RuntimeError("Redis is unreachable: the cache answers from its database fallback")
    return "ok"


def _check_broker() -> str:
    from portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: the portal's own "page expired" page (translated, elder mode honoured, the
    site's layout) instead of Django's English one. The technical reason goes to the log, not the page."""
    logger.warning("CSRF check failed for %s %s: %s", request.method, request.path, reason)
    response = render(request, "403_csrf.html", status=403)
    response["Cache-Control"] = "no-store"
    return response


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
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
