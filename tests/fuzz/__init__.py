"""Seeded random conversations against the running assistant, with invariants checked after every turn."""
