"""Public import path ``pytest_woosim.signing`` (documented); the code lives in
:mod:`simulator.wire.signing`."""

from simulator.wire.signing import *  # noqa: F403
from simulator.wire.signing import __all__ as __all__
