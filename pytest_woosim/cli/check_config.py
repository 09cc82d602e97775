"""``woosim check-config FILE``: validate an instance configuration.

Exit 0 and print the normalised configuration (JSON, defaults spelled out,
secrets as ``"****"``) when it is usable; exit 2 with one line per problem
otherwise (``FILE:LINE:COL: message`` for syntax, ``FILE: field.path: message``
for content). Warnings go to stderr as ``FILE: warning: field.path: message``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_woosim.instance import zones
from pytest_woosim.instance.config import ConfigError, InstanceConfig, Problem
from pytest_woosim.instance.load import load_instance, load_instance_text, warnings_for

EXIT_OK = 0
EXIT_INVALID = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="instance configuration (JSON); '-' reads standard input")
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="do not print the normalised configuration"
    )


def check(source: str, text: str | None = None) -> tuple[InstanceConfig | None, list[Problem]]:
    """Load ``source`` (or ``text`` when given); the config, or None with the problems."""
    try:
        config = load_instance_text(text) if text is not None else load_instance(Path(source))
    except ConfigError as exc:
        return None, exc.problems
    return config, []


@contextmanager
def _zone_log_muted() -> Iterator[None]:
    """Mute the zone resolver's own log line: the checks report an unknown zone with the file."""
    log = logging.getLogger(zones.__name__)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def run(args: argparse.Namespace) -> int:
    with _zone_log_muted():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    filename = str(args.file)
    text: str | None = None
    if filename == "-":
        filename = "<stdin>"
        text = sys.stdin.read()
    config, problems = check(str(args.file), text)
    if config is None:
        for problem in problems:
            print(problem.render(filename), file=sys.stderr)
        return EXIT_INVALID
    for warning in warnings_for(config):
        print(warning.render(filename, warning=True), file=sys.stderr)
    if not args.quiet:
        normalised: dict[str, Any] = config.to_cloud_elements_json(mask_secrets=True)
        print(json.dumps(normalised, indent=2, ensure_ascii=False))
    return EXIT_OK
