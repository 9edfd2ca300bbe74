from django.conf import settings
from django.utils.translation import gettext


def community_name() -> str:
    return settings.COMMUNITY_NAME or gettext("Yongxing Community")


def portal(request):
    return {
        "community_name": community_name(),
        "elder_mode": getattr(request, "elder_mode", False),
        # The residents' committee's phone (settings.COMMUNITY_PHONE, ZHAOXI_COMMUNITY_PHONE); empty: not shown.
        "community_phone": settings.COMMUNITY_PHONE,
    }
