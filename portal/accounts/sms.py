"""Pluggable SMS backends (placeholder until the accounts work lands)."""


class LocmemSMSBackend:
    outbox: list = []
