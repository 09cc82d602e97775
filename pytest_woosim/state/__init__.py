"""Durable integrator state: the SQLite engine (see :mod:`.sqlite`)."""

from .sqlite import *  # noqa: F403
from .sqlite import __all__  # noqa: F401
