def inbox(request):
    """Unread in-site messages for the navigation badge (filled in by the notify work)."""
    return {"unread_count": 0}
