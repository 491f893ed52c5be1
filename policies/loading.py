"""Reading policy files once per process: the files are data, this module only parses them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

POLICY_DIR = Path(__file__).resolve().parent


@cache
def load_policy(name: str) -> dict[str, Any]:
    """Parse `policies/<name>.yaml`; cached because policies change only with a deploy."""
    with (POLICY_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"policies/{name}.yaml: expected a mapping at the top level")
    return data
