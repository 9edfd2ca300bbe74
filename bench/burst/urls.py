"""The URLconf of ``bench/booking_burst.py``'s gunicorn (through ``burst.settings``): every URL of the
portal plus the floor, a bare view that inserts one row through the same middleware stack.

The floor view is a measurement device: it lives here, in ``bench/``, never in ``portal.urls``.
"""

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

FLOOR_TABLE = "bench_burst_floor"


def floor_view(request):
    """The least a booking POST can cost: session, CSRF, authentication, one INSERT in a transaction,
    a redirect."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (user_id, person_id, created_at) VALUES (%s, %s, clock_timestamp())",  # noqa: S608
            [request.user.pk, request.POST.get("persons") or None],
        )
    return HttpResponseRedirect("/")


urlpatterns = [path("__bench_floor__/", floor_view, name="bench_floor"), *portal_urlpatterns]
