"""Durable workflows: one workflow kind per module, the shared machinery in `case_machine`/`controlled`."""
