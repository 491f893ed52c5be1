"""Operator tooling over the engine: connecting and sealing (client, seal, oidc), the user directory,
numbering, schedules, and the auditors' replay, trail and diagrams. It may use every layer below it
(runtime, models, policies, workflows); nothing below imports it."""
