"""Payloads that cross the workflow boundary (plain dataclasses) and the registry's tables."""
