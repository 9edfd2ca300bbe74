"""The elder classes and clinics page (``elders:classes``): what is coming, with a link to book on the
activity's own page (the events engine books), and, for those who manage some of them, attendance per
session held (booked against checked in). Open to everyone, as the activity list is."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..selectors.classes import (
    ATTENDANCE_PAGE_SIZE,
    attendance_sessions,
    attendance_totals,
    may_see_attendance,
    upcoming_by_activity,
)


def classes_page(request):
    now = timezone.now()
    context = {"groups": upcoming_by_activity(now=now), "attendance": None}
    if may_see_attendance(viewer=request.user):
        page = Paginator(attendance_sessions(viewer=request.user, now=now), ATTENDANCE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context.update(attendance=page, totals=attendance_totals(viewer=request.user, now=now))
    return render(request, "elders/classes/index.html", context)


urlpatterns = [
    path("classes/", classes_page, name="classes"),
]
