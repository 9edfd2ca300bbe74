"""The elder classes and clinics page (``elders:classes``): what is coming, with a link to book on the
activity's own page (the events engine books), and, for those who manage some of them, attendance per
session held (booked against checked in). Open to everyone, as the activity list is."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from portal.pagination import page_with_count

from ..selectors.classes import (
    ATTENDANCE_PAGE_SIZE,
    attendance_sessions,
    attendance_totals,
    upcoming_by_activity,
)


def classes_page(request):
    now = timezone.now()
    context = {"groups": upcoming_by_activity(now=now), "attendance": None}
    # The totals say whether she manages any class or clinic for elders (None: she sees no attendance).
    totals = attendance_totals(viewer=request.user, now=now)
    if totals is not None:
        # The page of sessions held and their number in one query (a window count over a few sessions).
        page, _found = page_with_count(
            attendance_sessions(viewer=request.user, now=now), ATTENDANCE_PAGE_SIZE, request.GET.get("page")
        )
        context.update(attendance=page, totals=totals)
    return render(request, "elders/classes/index.html", context)


urlpatterns = [
    path("classes/", classes_page, name="classes"),
]
