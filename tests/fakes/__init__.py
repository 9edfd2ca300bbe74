"""Fakes of the outside services the portal talks to (for tests and benchmarks, never shipped)."""
