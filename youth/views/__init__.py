"""Views of the youth area, one module per piece, each with its ``urlpatterns``."""
