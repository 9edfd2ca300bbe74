"""Employment (see ../shared/ROADMAP.md; built under its own issue)."""
