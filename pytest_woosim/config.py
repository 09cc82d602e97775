"""Public import path ``pytest_woosim.config`` (documented); the code lives in
:mod:`pytest_woosim.instance.config`."""

from pytest_woosim.instance.config import *  # noqa: F403
from pytest_woosim.instance.config import __all__ as __all__
