"""The workflow sandbox, with our own deterministic modules passed through it.

By default the sandbox imports every module a workflow uses anew for every workflow run (and for
every replayed history): two thirds of replay time and ~15% of worker time went to importlib and
dataclass creation (issue 11's profiles). Our modules hold no mutable module state a run could
change, and the sandbox still checks the rest of what workflows call (the clock, I/O, randomness
in non-passed modules), so they are imported once per process instead.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# What workflows import of ours: data types and parsers (`models`), the kinds and the table
# machinery (`workflows`), the boundary helpers of `runtime` they use, and `transitions` (a pure
# state-machine library). Not `policies` (it reads files) nor the rest of `runtime` (clients,
# codecs): a workflow that reached for them would still be stopped by the sandbox.
PASSED_THROUGH = (
    "models",
    "workflows",
    "transitions",
    "runtime.failures",
    "runtime.payloads",
    "runtime.search_attributes",
    "runtime.seal",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
