"""The workflow sandbox, with our own deterministic modules passed through it, and two hot paths of
the SDK's sandbox made cheaper.

By default the sandbox imports every module a workflow uses anew for every workflow run (and for
every replayed history): two thirds of replay time and ~15% of worker time went to importlib and
dataclass creation (issue 11's profiles). Our modules hold no mutable module state a run could
change, and the sandbox still checks the rest of what workflows call (the clock, I/O, randomness
in non-passed modules), so they are imported once per process instead.

The SDK's sandbox also runs each activation, and each look-up of a payload's serialization
context (several per activation: one per payload list it encrypts or decrypts), by `exec` of a
source string, compiled anew every time: 17% of the worker's time in issue 11's profile. Here the
strings are compiled once, and the context look-up (a pure read of the run's pending commands)
calls the workflow instance directly. What runs inside the sandbox, and its restrictions, are
unchanged; `tests/test_sandbox.py` checks that the sandbox still stops a workflow that reads the
clock or opens a file.
"""

from __future__ import annotations

from typing import Any

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

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
)

_COMPILED: dict[str, Any] = {}


class _CompiledOnceInstance(_Instance):
    """The SDK's sandboxed instance, minus the recompiling."""

    def _run_code(self, code: Any, **extra_globals: Any) -> None:
        compiled = _COMPILED.get(code) if isinstance(code, str) else code
        if compiled is None:
            compiled = _COMPILED.setdefault(code, compile(code, "<string>", "exec"))
        super()._run_code(compiled, **extra_globals)

    def get_serialization_context(self, command_info: CommandInfo | None) -> Any:
        in_sandbox: Any = self.globals_and_locals["__temporal_in_sandbox"]
        return in_sandbox.get_serialization_context(command_info)


class Sandbox(SandboxedWorkflowRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _CompiledOnceInstance(det, self.runner_class, self.restrictions)


def workflow_runner() -> SandboxedWorkflowRunner:
    return Sandbox(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
