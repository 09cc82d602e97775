"""REST API v3 routes, one module per resource; each exposes ``setup(app, sim)``."""
