"""Forms of the sessions of an activity, on its manage page: add one session, a course of N meetings, a
weekly or fortnightly schedule (with its preview), drop-in service days, and changing one session.

Each form owns its crispy ``FormHelper`` and only checks what a user typed (a date, a time, a number);
the rules live in ``events.services.sessions``, whose refusals ``apply_service_errors`` puts next to the
field they concern (the services speak of ``starts_at`` / ``ends_at``, the forms of a date and times).
"""

from __future__ import annotations

import datetime
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .forms_staff import ServiceErrorsMixin
from .services.sessions import MAX_SESSIONS_AT_ONCE

#: Service field names -> form fields.
FIELD_ALIASES = {"starts_at": "start_time", "ends_at": "end_time"}
WEEKDAY_CHOICES = [(str(n), WEEKDAYS[n]) for n in range(7)]
EVERY_CHOICES = [("1", _("Every week")), ("2", _("Every other week (fortnightly)"))]
_DATE_SPLIT = re.compile(r"[\s,，、;；]+")
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
MAX_DROP_IN_TEXT = 4000


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_widget():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _local(day: datetime.date, t: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, t, tzinfo=timezone.get_current_timezone())


class SessionsServiceErrorsMixin(ServiceErrorsMixin):
    def apply_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            exc = ValidationError(
                {FIELD_ALIASES.get(field, field): errors for field, errors in exc.error_dict.items()}
            )
        super().apply_service_errors(exc)


class _HoursMixin(forms.Form):
    """Start and end time, place and capacity: what every kind of session form asks."""

    start_time = forms.TimeField(
        label=_("Starts at"),
        widget=_time_widget(),
        error_messages={"required": _("Give the start time."), "invalid": _("Give a time such as 09:00.")},
    )
    end_time = forms.TimeField(
        label=_("Ends at"),
        widget=_time_widget(),
        error_messages={"required": _("Give the end time."), "invalid": _("Give a time such as 11:00.")},
    )
    place = forms.CharField(
        label=pgettext_lazy("venue", "Place"),
        required=False,
        max_length=200,
        help_text=_("Only when it differs from the activity's place."),
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=0,
        max_value=100_000,
        error_messages={
            "required": _("Give the number of places."),
            "invalid": _("Give the number of places as a whole number."),
            "min_value": _("The capacity cannot be negative."),
            "max_value": _("At most %(limit_value)s places."),
        },
    )

    def setup_capacity(self, activity) -> None:
        """A course's sessions share the course's capacity: no field to fill in, a note instead."""
        if activity.is_course:
            self.fields["capacity"].required = False
            self.fields["capacity"].widget = forms.HiddenInput()
            self.initial.setdefault("capacity", activity.capacity or 0)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("A session must end after it starts."))
        if data.get("capacity") is None and not self.fields["capacity"].required:
            data["capacity"] = 0
        return data


def _helper(form_id: str, *submits: Submit, layout: Layout | None = None) -> FormHelper:
    helper = FormHelper()
    helper.form_id = form_id
    if layout is not None:
        helper.layout = layout
    for s in submits:
        helper.add_input(s)
    return helper


def _times_row() -> Div:
    return Div(
        Div(Field("start_time"), css_class="col-sm-6"),
        Div(Field("end_time"), css_class="col-sm-6"),
        css_class="row",
    )


class SessionAddForm(SessionsServiceErrorsMixin, _HoursMixin):
    date = forms.DateField(
        label=pgettext_lazy("calendar day", "Date"),
        widget=_date_widget(),
        error_messages={"required": _("Give the date."), "invalid": _("Give a date such as 2026-12-08.")},
    )
    field_order = ["date", "start_time", "end_time", "place", "capacity"]

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_capacity(activity)
        self.helper = _helper(
            "session-add-form",
            Submit("add_session", _("Add the session"), css_class="btn-brand"),
            layout=Layout("date", _times_row(), "place", "capacity"),
        )

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start_time") and data.get("end_time"):
            data["starts_at"] = _local(data["date"], data["start_time"])
            data["ends_at"] = _local(data["date"], data["end_time"])
        return data


class WeekdaysField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Weekdays"),
            choices=WEEKDAY_CHOICES,
            coerce=int,
            error_messages={
                "required": _("Choose at least one weekday."),
                "invalid_choice": _("Choose weekdays from the list."),
            },
            **kwargs,
        )


class CourseForm(SessionsServiceErrorsMixin, _HoursMixin):
    first = forms.DateField(
        label=_("First meeting"),
        widget=_date_widget(),
        error_messages={"required": _("Give the date."), "invalid": _("Give a date such as 2026-12-08.")},
    )
    weekdays = WeekdaysField()
    count = forms.IntegerField(
        label=_("Number of meetings"),
        min_value=1,
        max_value=MAX_SESSIONS_AT_ONCE,
        help_text=_("Public holidays are skipped: the course still has this many meetings."),
        error_messages={
            "required": _("Give the number of meetings."),
            "invalid": _("Give the number of meetings as a whole number."),
            "min_value": _("A course has at least one meeting."),
            "max_value": _("At most %(limit_value)s meetings can be created at once."),
        },
    )
    field_order = ["first", "weekdays", "count", "start_time", "end_time", "place", "capacity"]

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_capacity(activity)
        self.helper = _helper(
            "course-form",
            Submit("add_course", _("Create the meetings"), css_class="btn-brand"),
            layout=Layout("first", "weekdays", "count", _times_row(), "place", "capacity"),
        )


class ScheduleForm(SessionsServiceErrorsMixin, _HoursMixin):
    """A weekly or fortnightly schedule. Sent with ``preview`` it is checked and the plan shown; sent with
    ``save`` it carries the preview's ``plan_token`` and the make-up days ticked in the preview."""

    first = forms.DateField(
        label=_("From"),
        widget=_date_widget(),
        error_messages={
            "required": _("Give the first date."),
            "invalid": _("Give a date such as 2026-12-08."),
        },
    )
    last = forms.DateField(
        label=_("Until"),
        widget=_date_widget(),
        error_messages={
            "required": _("Give the last date."),
            "invalid": _("Give a date such as 2027-12-31."),
        },
    )
    weekdays = WeekdaysField()
    every = forms.TypedChoiceField(
        label=_("How often"),
        choices=EVERY_CHOICES,
        coerce=int,
        initial="1",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose weekly or fortnightly.")},
    )
    plan_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    makeup_days = forms.MultipleChoiceField(
        label=_("Make-up working days"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    field_order = ["first", "last", "weekdays", "every", "start_time", "end_time", "place", "capacity"]

    def __init__(self, *args, activity, makeup_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_capacity(activity)
        self.fields["makeup_days"].choices = list(makeup_choices)
        self.helper = _helper(
            "schedule-form",
            layout=Layout(
                Div(
                    Div(Field("first"), css_class="col-sm-6"),
                    Div(Field("last"), css_class="col-sm-6"),
                    css_class="row",
                ),
                "weekdays",
                "every",
                _times_row(),
                "place",
                "capacity",
                "plan_token",
            ),
        )
        self.helper.form_tag = False  # the template closes the form after the preview's check boxes

    def set_makeup_choices(self, choices) -> None:
        self.fields["makeup_days"].choices = list(choices)

    def clean_plan_token(self) -> str:
        token = self.cleaned_data.get("plan_token") or ""
        return token if re.fullmatch(r"[0-9a-f]{32}", token) else ""

    def clean_makeup_days(self) -> list[datetime.date]:
        return [datetime.date.fromisoformat(v) for v in self.cleaned_data.get("makeup_days") or []]


class DropInForm(SessionsServiceErrorsMixin, _HoursMixin):
    dates = forms.CharField(
        label=_("Dates"),
        max_length=MAX_DROP_IN_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One date per line, for example 2026-12-08. Each date gets one session with these hours."
        ),
        error_messages={"required": _("Give at least one date.")},
    )
    field_order = ["dates", "start_time", "end_time", "place", "capacity"]

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_capacity(activity)
        self.helper = _helper(
            "dropin-form",
            Submit("add_dropin", _("Create the service days"), css_class="btn-brand"),
            layout=Layout("dates", _times_row(), "place", "capacity"),
        )

    def clean_dates(self) -> list[datetime.date]:
        text = self.cleaned_data.get("dates") or ""
        parts = [p for p in _DATE_SPLIT.split(text) if p]
        days = []
        for part in parts:
            day = _parse_one(part)
            if day is None:
                raise ValidationError(
                    _("“%(value)s” is not a date: write dates such as 2026-12-08, one per line.")
                    % {"value": part[:20]},
                    code="not_a_date",
                )
            days.append(day)
        if not days:
            raise ValidationError(_("Give at least one date."), code="required")
        if len(set(days)) > MAX_SESSIONS_AT_ONCE:
            raise ValidationError(
                _("At most %(max)d dates at once.") % {"max": MAX_SESSIONS_AT_ONCE}, code="too_many"
            )
        return sorted(set(days))


def _parse_one(part: str) -> datetime.date | None:
    for pattern in _DATE_FORMS:
        if m := pattern.match(part):
            try:
                return datetime.date(*(int(g) for g in m.groups()))
            except ValueError:
                return None
    return None


class SessionEditForm(SessionAddForm):
    """The same fields as adding one, filled in with the session's."""

    def __init__(self, *args, activity, session, **kwargs):
        if (args[0] if args else kwargs.get("data")) is None:
            local = timezone.localtime(session.starts_at)
            kwargs.setdefault(
                "initial",
                {
                    "date": local.date(),
                    "start_time": local.time().replace(second=0, microsecond=0),
                    "end_time": timezone.localtime(session.ends_at).time().replace(second=0, microsecond=0),
                    "place": session.place,
                    "capacity": session.capacity,
                },
            )
        super().__init__(*args, activity=activity, **kwargs)
        self.helper = _helper(
            "session-edit-form",
            Submit("save_session", _("Save the changes"), css_class="btn-brand"),
            layout=Layout("date", _times_row(), "place", "capacity"),
        )
