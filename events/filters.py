"""Filters of the public activity list (django-filter): area, audience, date range, place, open now.

Every filter is a condition on the activity row or an ``EXISTS`` over its sessions, so the filtered list
costs the same number of queries as the unfiltered one.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.fields import BoundedDateFilter

from .models import Activity, Area, Session

#: Under this age an audience is "children"; from ``ELDER_AGE`` it is "elders" (老年人: 60 and over).
CHILD_MAX_AGE = 17
ELDER_AGE = 60

AUDIENCE_CHOICES = (
    ("children", _("Children")),
    ("elders", _("Elders")),
    ("everyone", _("Everyone")),
)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def window_open_q(now: datetime.datetime) -> Q:
    """The general booking window is open now (early windows are shown on the page, not filtered)."""
    return (Q(booking_opens_at__isnull=True) | Q(booking_opens_at__lte=now)) & (
        Q(booking_closes_at__isnull=True) | Q(booking_closes_at__gt=now)
    )


class ActivityFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data


class ActivityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    area = django_filters.ChoiceFilter(label=_("Area"), choices=Area.choices, empty_label=_("All areas"))
    audience = django_filters.ChoiceFilter(
        label=_("For whom"), choices=AUDIENCE_CHOICES, empty_label=_("Anyone"), method="filter_audience"
    )
    # Bounded to 1900-2100: "until 9999-12-31" would overflow the day after it (portal.fields).
    date_from = BoundedDateFilter(label=_("From"), method="filter_date_from")
    date_to = BoundedDateFilter(label=_("Until"), method="filter_date_to")
    place = django_filters.CharFilter(
        label=pgettext_lazy("venue of an activity", "Place"), method="filter_place"
    )
    open_now = django_filters.BooleanFilter(
        label=_("Open for booking now"),
        method="filter_open_now",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Activity
        form = ActivityFilterForm
        fields: list[str] = []

    def __init__(self, *args, now: datetime.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        # A ticked box sends "on"; unticked sends nothing, which must mean "no filter", not "closed only".
        self.filters["open_now"].field.required = False

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_audience(self, queryset, name, value):
        if value == "children":
            return queryset.filter(max_age__isnull=False, max_age__lte=CHILD_MAX_AGE)
        if value == "elders":
            return queryset.filter(min_age__isnull=False, min_age__gte=ELDER_AGE)
        if value == "everyone":
            return queryset.filter(
                Q(min_age__isnull=True) | Q(min_age__lte=CHILD_MAX_AGE + 1),
                Q(max_age__isnull=True) | Q(max_age__gte=ELDER_AGE),
            )
        return queryset

    def _sessions(self):
        return Session.objects.filter(activity=OuterRef("pk"), cancelled=False)

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(Exists(self._sessions().filter(ends_at__gte=_day_start(value))))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(
            Exists(self._sessions().filter(starts_at__lt=_day_start(value + datetime.timedelta(days=1))))
        )

    def filter_place(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        in_session = Exists(self._sessions().filter(place__icontains=value))
        return queryset.filter(Q(place__icontains=value) | in_session)

    def filter_open_now(self, queryset, name, value):
        if not value:
            return queryset
        upcoming = self._sessions().filter(starts_at__gt=self.now)
        return queryset.filter(window_open_q(self.now)).filter(Exists(upcoming))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            # Both ends: one session must fall within the range (not one before and another after).
            queryset = queryset.filter(
                Exists(
                    self._sessions().filter(
                        ends_at__gte=_day_start(start),
                        starts_at__lt=_day_start(end + datetime.timedelta(days=1)),
                    )
                )
            )
        return queryset
