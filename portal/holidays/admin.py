"""The holiday calendar in the back office: years with their days inline. The portal's own pages
(节假日安排, ``portal.holidays.views``) are the usual way to enter a notice; the admin checks the same
day rules on each row."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, CalendarYear, DayKind


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "festival")

    def clean(self):
        data = super().clean()
        day, kind = data.get("date"), data.get("kind")
        if day and kind == DayKind.WORKDAY and day.weekday() < 5:
            self.add_error("date", _("A make-up working day must be a Saturday or Sunday."))
        return data


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    form = CalendarDayForm
    extra = 0
    ordering = ("date",)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "notice", "updated_by", "updated_at")
    list_filter = ("source",)
    search_fields = ("year", "notice")
    readonly_fields = ("updated_by", "updated_at")
    inlines = [CalendarDayInline]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ("date", "kind", "festival", "year")
    list_filter = ("kind", "festival", "year")
    date_hierarchy = "date"
    list_select_related = ("year",)
