"""Public import path ``pytest_woosim.javadate`` (documented); the code lives in
:mod:`pytest_woosim.instance.javadate`."""

from pytest_woosim.instance.javadate import *  # noqa: F403
from pytest_woosim.instance.javadate import __all__ as __all__
