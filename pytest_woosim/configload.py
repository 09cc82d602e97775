"""Public import path ``pytest_woosim.configload`` (documented); the code lives in
:mod:`pytest_woosim.instance.load`."""

from pytest_woosim.instance.load import *  # noqa: F403
from pytest_woosim.instance.load import __all__ as __all__
