"""Events (see ../shared/ROADMAP.md; built under its own issue)."""
