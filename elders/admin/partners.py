"""The back office for the partners piece: the service catalogue, service plans and deliveries.

Partner staff with admin access see only their organisation's plans and deliveries. Deliveries are
read-only here for everyone (they are logged on the round page, which keeps them equal to their plan and
logs each once per round); plans are changed on the plans pages, so that the elder joins the
organisation's clients, but staff may correct them here.
"""

from django.contrib import admin

from elders import models as m


class ScopedToOrganizationMixin:
    """Querysets limited to the viewer's organisation (partner staff); community staff see all."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.is_community_staff:
            return qs
        if user.is_partner_staff and user.organization_id:
            return qs.filter(organization_id=user.organization_id)
        return qs.none()


@admin.register(m.Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "order")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "description")
    ordering = ("order", "name")


@admin.register(m.ServicePlan)
class ServicePlanAdmin(ScopedToOrganizationMixin, admin.ModelAdmin):
    list_display = (
        "elder",
        "service",
        "organization",
        "times",
        "period",
        "starts_on",
        "ends_on",
        "missed_flagged_on",
        "missed_count",
    )
    list_filter = ("service", "organization", "period", ("missed_flagged_on", admin.EmptyFieldListFilter))
    search_fields = ("elder__name", "elder__name_pinyin", "organization__name", "service__name")
    autocomplete_fields = ("elder",)
    list_select_related = ("elder", "service", "organization")
    readonly_fields = ("missed_flagged_on", "missed_count", "created_by", "created_at")
    date_hierarchy = "starts_on"

    def has_add_permission(self, request):
        return request.user.is_superuser or request.user.is_community_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_community_staff

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        obj.elder.served_by.add(obj.organization)


@admin.register(m.Delivery)
class DeliveryAdmin(ScopedToOrganizationMixin, admin.ModelAdmin):
    list_display = ("delivered_at", "elder", "service", "organization", "delivered_by", "what", "round_key")
    list_filter = ("service", "organization")
    search_fields = ("elder__name", "what", "notes", "round_key")
    list_select_related = ("elder", "service", "organization", "delivered_by")
    date_hierarchy = "delivered_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
