"""Public import path ``pytest_woosim.placeholders`` (documented); the code lives in
:mod:`pytest_woosim.instance.placeholders`."""

from pytest_woosim.instance.placeholders import *  # noqa: F403
from pytest_woosim.instance.placeholders import __all__ as __all__
