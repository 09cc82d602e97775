"""Catch ``--woosim-instance PATH`` moving pytest's rootdir.

pytest settles its rootdir and ini file from the command line BEFORE it loads
plugins installed from packages, so at that moment it does not know that
``--woosim-instance`` takes a value: it reads ``PATH`` as a test path. A file in
another project then makes that project the rootdir (test ids ``../other/…``,
its ini file and ``addopts`` applied). Nothing a plugin does can run earlier,
and the wrong ini's settings are already in force when it loads, so the plugin
cannot quietly repair the run; it stops it with the fix instead.
``--woosim-instance=PATH`` (one token, which pytest skips as an option) and the
``woosim_instance`` ini key are never misread.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from _pytest.config.findpaths import determine_setup

OPTION = "--woosim-instance"


def separate_values(args: list[str]) -> list[str]:
    """The values given as ``--woosim-instance VALUE`` (two tokens) in ``args``."""
    values = []
    for index, arg in enumerate(args[:-1]):
        if arg == "--":
            break
        if arg == OPTION:
            values.append(args[index + 1])
    return values


def _setup_without(config: pytest.Config, values: list[str]) -> tuple[Path, Path | None]:
    """The rootdir and ini file pytest finds when ``values`` are not read as test paths."""
    namespace = config.known_args_namespace
    # Read by pytest as paths: the final parse (which knows the option), not the first one.
    args = [arg for arg in namespace.file_or_dir if arg not in values]
    kwargs: dict[str, Any] = {
        "inifile": namespace.inifilename,
        "args": args,
        "rootdir_cmd_arg": namespace.rootdir or None,
        "invocation_dir": config.invocation_params.dir,
    }
    if "override_ini" in inspect.signature(determine_setup).parameters:  # pytest >= 9
        kwargs["override_ini"] = namespace.override_ini
    found = determine_setup(**kwargs)
    return found[0], found[1]


def check_rootdir(config: pytest.Config) -> None:
    """UsageError when a separate ``--woosim-instance`` value changed the rootdir or ini file."""
    values = separate_values(list(config.invocation_params.args))
    if not values:
        return
    rootpath, inipath = _setup_without(config, values)
    if (rootpath, inipath) == (config.rootpath, config.inipath):
        return
    raise pytest.UsageError(
        f"{OPTION} {values[-1]}: pytest read this path as a test path before the woosim "
        f"plugin was loaded, and took {config.rootpath} as the rootdir instead of {rootpath}. "
        f"Write {OPTION}={values[-1]} (one argument), or set woosim_instance in the ini file."
    )


__all__ = ["check_rootdir", "separate_values"]
