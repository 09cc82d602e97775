"""The OpenAPI 3.1 description of the fake store's REST API (``/wp-json/...``).

Response and request schemas come from the resource declarations
(:mod:`simulator.resources`), which the renderers and body readers follow too.
The route arguments are built from what the route modules validate with: enum
tuples, route bases and the batch limit are imported from them, and the
collection arguments shared by orders and products are read off
:func:`simulator.rest.orders.post_list_args` by running it over a recording
:class:`~simulator.params.Args`. The rest of each route's arguments is written
here beside them; tests compare every documented parameter with what the
server accepts and rejects, so the two cannot drift apart silently.

Responses are described strictly (every field required, no others), so a
schema-conformance check catches a renderer that adds, drops or retypes a field.
"""

# The names the route table and the tests import from here.
from simulator.rest.openapi.document import build_document
from simulator.rest.openapi.params import (
    RecordingArgs,
    coupons_collection_args,
    customers_collection_args,
    orders_collection_args,
    products_collection_args,
    shared_post_collection_args,
    terms_collection_args,
    variations_collection_args,
    webhooks_collection_args,
)

__all__ = [
    "RecordingArgs",
    "build_document",
    "coupons_collection_args",
    "customers_collection_args",
    "orders_collection_args",
    "products_collection_args",
    "shared_post_collection_args",
    "terms_collection_args",
    "variations_collection_args",
    "webhooks_collection_args",
]
