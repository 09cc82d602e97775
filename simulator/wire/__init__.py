"""What crosses the wire between a store and an integrator: webhook and notification
signatures over the exact body bytes, and the HTTP/1.1 client both sides post with.

The lowest layer, with :mod:`simulator.clock` and :mod:`simulator.loops`: it imports
nothing else from ``simulator`` and nothing from ``pytest_woosim``, so the store and the
integrator's side can both build on it without knowing each other.
"""
