from .selectors import unread_count_for


def inbox(request):
    """Unread in-site messages for the navigation badge: one COUNT query, only for signed-in users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": unread_count_for(user=user)}
