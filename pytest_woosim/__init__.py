"""pytest-woosim: a faithful fake WooCommerce store, the integrator's reference
poller and webhook relay, and a pytest plugin that wires them together."""

__version__ = "0.1.0"
