"""The operators' command line: register and import appeals, list, show, and make moves.

Every command talks to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; `list` reads the registry at
DATABASE_URL. Bad input ends with one line naming the field and the rule, and exit code 2;
a refused move ends with its reason and exit code 1.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from importlib.util import find_spec

import typer
from temporalio.service import RPCError

from cli.appeals import import_, register
from cli.audit import app as audit_app
from cli.cases import db_app, docs, list_, move, report, status
from cli.channels import channels_app
from cli.outbox import outbox_app
from cli.output import CliError, err
from cli.users import login, logout, users_app, whoami
from models.errors import InputError
from workflows.kinds import KINDS

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.command()(register)
app.command("import")(import_)
app.command("list")(list_)
app.command()(status)
app.command()(move)
app.command()(docs)
app.command()(report)
app.add_typer(db_app, name="db")
for kind in KINDS:  # a kind's own commands: `KIND_APP` of cli/<kind>s.py, found by name (issue 22)
    commands = getattr(import_module(f"cli.{kind.name}s"), "KIND_APP", None) if find_spec(f"cli.{kind.name}s") else None
    if commands is not None:
        app.add_typer(commands, name=kind.name)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(outbox_app, name="outbox")
app.add_typer(channels_app, name="channels")
app.command()(login)
app.command()(logout)
app.command()(whoami)


def main(argv: list[str] | None = None) -> int:
    code = 0
    try:
        app(args=argv, standalone_mode=False)
    except CliError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        code = error.code
    except InputError as error:
        err.print(f"error: {error}", markup=False, highlight=False)
        code = 2
    except RPCError as error:
        err.print(f"error: Temporal at {os.environ.get('TEMPORAL_ADDRESS', 'localhost:7233')}: {error}", markup=False)
        code = 3
    except RuntimeError as error:
        if "client connect" not in str(error):
            raise
        address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
        err.print(f"error: cannot reach Temporal at {address} (is the server up? `make demo` starts one)", markup=False)
        code = 3
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    except Exception as error:  # click usage errors and the like: one line, never a traceback
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        err.print(f"error: {message} ({type(error).__name__})", markup=False)
        code = 2
    return code


def run() -> None:
    """The console script: exit with `main`'s code, skipping interpreter teardown, where the SDK's
    native runtime can crash (sdk-python #300)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
