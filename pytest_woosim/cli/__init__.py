"""``woosim``: one console script, one module per subcommand.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``;
this file only lists them, so the commands stay independent of each other.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("simulator.serve", "run the fake WooCommerce store"),
    "relay": (
        "pytest_woosim.cli.relay",
        "run the reference poller or webhook relay for an instance configuration",
    ),
    "listen": (
        "pytest_woosim.cli.listen",
        "receive event notifications, verify signatures, print one JSON line each",
    ),
    "check-config": ("pytest_woosim.cli.check_config", "validate an instance configuration"),
    "trigger": (
        "pytest_woosim.cli.trigger",
        "run a business flow (checkout, refund, ...) on a running woosim serve",
    ),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the ``selected`` command is imported.

    Importing only the command being run keeps each command independent: a
    problem in one module (or its heavier imports) cannot break the others.
    """
    parser = argparse.ArgumentParser(
        prog="woosim", description="A fake WooCommerce store and the integrator's side done right."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if selected == name:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    selected = next((arg for arg in arguments if not arg.startswith("-")), "")
    args = build_parser(selected if selected in COMMANDS else None).parse_args(arguments)
    try:
        return int(args._module.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
