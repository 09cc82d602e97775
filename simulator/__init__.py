"""The fake WooCommerce store: REST API v3, signed webhooks, a controllable clock."""

from simulator.clock import Clock

__all__ = ["Clock"]
