"""The staff back office for the engine: activities with their sessions and tiers, bookings with their
registrations, offers, draws and target groups. Partner staff see only their organisation's activities.

Bookings, registrations, offers, check-ins, stamps and lottery draws are read-only here, for everyone
(superusers too): every change goes through the engine's services (``events.services``), so nothing can
overbook or skip the queue behind them. Their pages stay open to read; the change page says where the
change is made instead."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import models as m
from .selectors import activities_manageable_by


class ScopedToActivityMixin:
    """Querysets limited to the activities the staff member may manage."""

    activity_path = "activity"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        allowed = activities_manageable_by(user=request.user).values("pk")
        return qs.filter(**{f"{self.activity_path}__in": allowed})


class EngineRecordAdmin:
    """Read-only for every user, superusers included: no add, change or delete (nor the "delete selected"
    action, which Django drops with the delete permission). ``engine_note`` says on the change page where
    the change is made instead."""

    change_form_template = "admin/events/engine_record_change_form.html"
    engine_note = _("Bookings are handled on the activity's manage page (Staff ▸ Activities I manage).")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "engine_note": self.engine_note,
            "engine_note_url": reverse("events:staff_activities"),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class SessionInline(admin.TabularInline):
    model = m.Session
    extra = 0
    fields = ("starts_at", "ends_at", "capacity", "place", "cancelled")
    show_change_link = True


class PriorityTierInline(admin.TabularInline):
    model = m.PriorityTier
    extra = 0
    autocomplete_fields = ("group",)


class ReminderRuleInline(admin.TabularInline):
    model = m.ReminderRule
    extra = 0
    verbose_name_plural = _("reminder lead times (none: the day before and two hours before)")


@admin.register(m.TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code", "description")
    autocomplete_fields = ("members",)
    prepopulated_fields = {"code": ("name",)}


@admin.register(m.Activity)
class ActivityAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    activity_path = "pk"
    list_display = (
        "title",
        "area",
        "status",
        "allocation",
        "capacity_unit",
        "registration_scope",
        "booking_opens_at",
        "place",
    )
    list_filter = (
        "status",
        "area",
        "allocation",
        "capacity_unit",
        "registration_scope",
        "residents_only",
        "waitlist_enabled",
    )
    search_fields = ("title", "description", "place", "organiser_org__name", "organiser_user__name")
    autocomplete_fields = ("organiser_user", "organiser_org", "target_group", "early_group")
    date_hierarchy = "booking_opens_at"
    inlines = [SessionInline, PriorityTierInline, ReminderRuleInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "description",
                    "area",
                    "status",
                    "place",
                    "organiser_user",
                    "organiser_org",
                )
            },
        ),
        (
            _("Allocation"),
            {
                "fields": (
                    "allocation",
                    "capacity_unit",
                    "registration_scope",
                    "capacity",
                    "waitlist_enabled",
                    "offer_hold_hours",
                )
            },
        ),
        (
            _("Audience"),
            {"fields": ("min_age", "max_age", "residents_only", "target_group", "max_per_household")},
        ),
        (
            _("Booking windows"),
            {
                "fields": (
                    "early_opens_at",
                    "early_for",
                    "early_group",
                    "booking_opens_at",
                    "booking_closes_at",
                    "cancel_hours_before",
                )
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Lead times edited in the inline: cancel reminders at removed ones, create rows for new ones."""
        from .services.reminders import reminders_refresh_for

        super().save_related(request, form, formsets, change)
        reminders_refresh_for(activity=form.instance)


@admin.register(m.Session)
class SessionAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    list_display = ("activity", "starts_at", "ends_at", "capacity", "cancelled")
    list_filter = ("cancelled", "activity__area", ("starts_at", admin.DateFieldListFilter))
    search_fields = ("activity__title", "place", "activity__place")
    autocomplete_fields = ("activity",)
    date_hierarchy = "starts_at"
    list_select_related = ("activity",)


class RegistrationInline(admin.TabularInline):
    model = m.Registration
    extra = 0
    can_delete = False
    fields = ("person", "session", "status", "queue_no", "offer")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.Booking)
class BookingAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    list_display = ("activity", "session", "booked_by", "on_behalf", "created_at")
    list_filter = ("on_behalf", "activity__area")
    search_fields = ("activity__title", "booked_by__name", "booked_by__phone", "registrations__person__name")
    autocomplete_fields = ("activity", "session", "booked_by")
    readonly_fields = ("token", "created_at")
    inlines = [RegistrationInline]
    list_select_related = ("activity", "session", "booked_by")


@admin.register(m.Registration)
class RegistrationAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    list_display = ("person", "activity", "session", "status", "queue_no", "created_at")
    list_filter = ("status", "activity__area", "activity__allocation")
    search_fields = ("person__name", "person__name_pinyin", "person__phone", "activity__title")
    autocomplete_fields = ("booking", "activity", "session", "person", "offer")
    readonly_fields = ("created_at", "updated_at", "cancelled_at", "cancelled_by")
    list_select_related = ("person", "activity", "session")


@admin.register(m.Offer)
class OfferAdmin(EngineRecordAdmin, admin.ModelAdmin):
    list_display = ("booking", "status", "expires_at", "created_at", "decided_at", "offered_by", "reason")
    list_filter = ("status",)
    search_fields = ("booking__activity__title", "registrations__person__name", "booking__booked_by__phone")
    autocomplete_fields = ("booking",)
    list_select_related = ("booking__activity", "booking__booked_by")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(booking__activity__in=activities_manageable_by(user=request.user).values("pk"))


@admin.register(m.LotteryDraw)
class LotteryDrawAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    engine_note = _("Lotteries are drawn on the activity's lottery page (Staff ▸ Activities I manage).")

    list_display = ("activity", "session", "seed", "capacity", "drawn_at", "drawn_by")
    search_fields = ("activity__title", "seed")
    list_filter = (("drawn_at", admin.DateFieldListFilter),)
    autocomplete_fields = ("activity", "session")
    readonly_fields = ("seed", "capacity", "entries", "order", "winners", "drawn_at", "drawn_by")
    list_select_related = ("activity", "session", "drawn_by")


# --- reminders and staff messages -----------------------------------------------------------------


@admin.register(m.ReminderRule)
class ReminderRuleAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    list_display = ("activity", "lead_minutes")
    search_fields = ("activity__title",)
    autocomplete_fields = ("activity",)
    list_select_related = ("activity",)

    def save_model(self, request, obj, form, change):
        from .services.reminders import reminders_refresh_for

        super().save_model(request, obj, form, change)
        reminders_refresh_for(activity=obj.activity)

    def delete_model(self, request, obj):
        from .services.reminders import reminders_refresh_for

        activity = obj.activity
        super().delete_model(request, obj)
        reminders_refresh_for(activity=activity)


@admin.register(m.Reminder)
class ReminderAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    """Reminders are made and sent by the scan; the back office watches them and may cancel one."""

    activity_path = "booking__activity"
    list_display = ("session", "booking", "lead_minutes", "due_at", "state", "sent_at", "reason")
    list_filter = ("state", ("due_at", admin.DateFieldListFilter))
    search_fields = (
        "session__activity__title",
        "booking__booked_by__phone",
        "booking__registrations__person__name",
    )
    date_hierarchy = "due_at"
    readonly_fields = (
        "booking",
        "session",
        "lead_minutes",
        "due_at",
        "state",
        "reason",
        "created_at",
        "sent_at",
    )
    list_select_related = ("session__activity", "booking__activity", "booking__booked_by")
    actions = ["cancel_pending"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Cancel the selected pending reminders"))
    def cancel_pending(self, request, queryset):
        n = queryset.filter(state=m.ReminderState.PENDING).update(
            state=m.ReminderState.CANCELLED, reason=f"cancelled in the admin by {request.user.pk}"
        )
        self.message_user(request, _("%(n)d reminders cancelled.") % {"n": n})


@admin.register(m.StaffMessage)
class StaffMessageAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    """Who told whom what (sent by events.services.session_message_send, never typed in here)."""

    list_display = ("created_at", "activity", "session", "sent_by", "recipients")
    search_fields = ("activity__title", "text", "sent_by__name")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    readonly_fields = ("activity", "session", "sent_by", "text", "recipients", "created_at")
    exclude = ("request_key",)
    list_select_related = ("activity", "session", "sent_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(m.CheckIn)
class CheckInAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    """Attendance per session (written by events.services.checkin_record / checkin_ticket)."""

    engine_note = _("Check-ins are recorded on the session's check-in page (Staff ▸ Activities I manage).")

    activity_path = "session__activity"
    list_display = ("checked_in_at", "session", "registration", "method", "checked_in_by")
    list_filter = ("method", ("checked_in_at", admin.DateFieldListFilter))
    search_fields = ("registration__person__name", "session__activity__title")
    readonly_fields = ("registration", "session", "checked_in_at", "checked_in_by", "method")
    list_select_related = ("session__activity", "registration__person", "checked_in_by")


@admin.register(m.CheckOut)
class CheckOutAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    """Sign-outs per session (written by events.services.checkout_record, e.g. the youth pickup tablet)."""

    engine_note = _("Sign-outs are recorded on the area's sign-out page (the day-care's day roster).")

    activity_path = "session__activity"
    list_display = ("checked_out_at", "session", "registration", "released_to", "checked_out_by")
    list_filter = (("checked_out_at", admin.DateFieldListFilter),)
    search_fields = ("registration__person__name", "session__activity__title", "released_to")
    readonly_fields = ("registration", "session", "checked_out_at", "checked_out_by", "released_to")
    list_select_related = ("session__activity", "registration__person", "checked_out_by")


# --- volunteer shifts (events/services/shifts.py) ----------------------------------------------------


class ShiftSignupInline(admin.TabularInline):
    """Who signed up, and her check-in and check-out (written by the shift services; read only here)."""

    model = m.ShiftSignup
    extra = 0
    can_delete = False
    fields = ("volunteer", "status", "created_at", "checked_in_at", "checked_out_at", "auto_closed")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("volunteer__person")


@admin.register(m.Shift)
class ShiftAdmin(ScopedToActivityMixin, admin.ModelAdmin):
    activity_path = "session__activity"
    list_display = ("role", "session", "starts_at", "ends_at", "slots", "checkpoint")
    list_filter = (("starts_at", admin.DateFieldListFilter),)
    search_fields = ("role", "description", "session__activity__title")
    autocomplete_fields = ("session",)
    list_select_related = ("session__activity", "checkpoint")
    date_hierarchy = "starts_at"
    inlines = [ShiftSignupInline]


# --- Checkpoints and stamps (events/services/checkpoints.py writes the stamps) ------------------------


class CheckpointInline(admin.TabularInline):
    """The stations of an activity's route (start, water station, turn-around, finish), in order."""

    model = m.Checkpoint
    extra = 0
    fields = ("position", "name", "required", "description")
    ordering = ("position", "id")


# Added here rather than in the class body: the inline is defined after ActivityAdmin.
ActivityAdmin.inlines = [*ActivityAdmin.inlines, CheckpointInline]


@admin.register(m.Stamp)
class StampAdmin(EngineRecordAdmin, ScopedToActivityMixin, admin.ModelAdmin):
    """Who passed which checkpoint when (written by events.services.checkpoint_stamp, never typed in here)."""

    engine_note = _("Stamps are given at the checkpoint's station page (Staff ▸ Activities I manage).")

    activity_path = "checkpoint__activity"
    list_display = ("stamped_at", "checkpoint", "registration", "session", "stamped_by")
    list_filter = (("stamped_at", admin.DateFieldListFilter),)
    search_fields = ("registration__person__name", "checkpoint__name", "checkpoint__activity__title")
    readonly_fields = ("checkpoint", "registration", "session", "stamped_at", "stamped_by")
    list_select_related = ("checkpoint__activity", "registration__person", "session", "stamped_by")
