"""One declaration per REST resource: its fields, their order, which are writable.

The renderers, the routes' body parsers and the OpenAPI document all read these
declarations (see :mod:`simulator.resources.declare`); adding a resource is a
declaration module here plus its routes.
"""
