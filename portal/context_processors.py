from django.conf import settings


def portal(request):
    return {
        "community_name": settings.COMMUNITY_NAME,
        "elder_mode": getattr(request, "elder_mode", False),
    }
