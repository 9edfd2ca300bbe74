"""The elder classes and clinics page (``elders:classes``): what is coming, with a link to book on the
activity's own page (the events engine books), and, for those who manage some of them, attendance per
session held (booked against checked in). Open to everyone, as the activity list is."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..selectors.classes import attendance_of, upcoming_by_activity


def classes_page(request):
    now = timezone.now()
    context = {"groups": upcoming_by_activity(now=now), "attendance": None}
    # The totals say whether she manages any class or clinic for elders (None: she sees no attendance);
    # then the page of sessions held and their number in one query (a window count over a few sessions).
    totals, page = attendance_of(viewer=request.user, now=now, number=request.GET.get("page"))
    if totals is not None:
        context.update(attendance=page, totals=totals)
    return render(request, "elders/classes/index.html", context)


urlpatterns = [
    path("classes/", classes_page, name="classes"),
]
