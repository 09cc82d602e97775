"""What the pytest fixtures drive, free of pytest wiring: the store a test sees (in-process
or remote), the shared clock, the callback receiver, started pollers and relays, instance
configurations aimed at them, and the built-in checks of ``--woosim-instance``."""
