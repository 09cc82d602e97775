"""The relay process's garbage-collector settings.

A relay event makes and drops a few hundred objects (the request, its parsed
body, the notification, the callback's answer), nearly all freed at once by
reference counting. Python's cyclic collector nonetheless runs every 700 net
allocations, and with 64 requests in flight that is several times a second,
each pass walking every object those requests hold: about 7 % of the relay's
CPU went there, for almost no garbage (with the threshold below it finds a
handful of cycles per thousand events). So the relay process collects every
:data:`YOUNG_THRESHOLD` net allocations instead, and freezes what start-up made
(modules, classes, the configuration), which lives as long as the process and
need never be walked again.

Only the ``woosim relay`` process (and the relay benchmark, which measures it)
does this; code running the relay inside another process (the pytest plugin)
leaves that process's collector alone.
"""

from __future__ import annotations

import gc

#: Net allocations of tracked objects between two young-generation collections
#: (Python's default is 700); the older generations keep their default ratios.
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Freeze the objects made so far and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


__all__ = ["YOUNG_THRESHOLD", "tune_collector"]
