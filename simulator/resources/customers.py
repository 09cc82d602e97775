"""A customer, as WC_REST_Customers_Controller renders and accepts it."""

from __future__ import annotations

from simulator.models import CUSTOMER_ROLES
from simulator.resources.addresses import CUSTOMER_BILLING, CUSTOMER_SHIPPING
from simulator.resources.declare import Declaration, Field
from simulator.resources.meta import META
from simulator.resources.schema import (
    BOOLEAN,
    DATE,
    EMAIL,
    INTEGER,
    NULLABLE_DATE,
    STRING,
    URI,
    enum,
    links,
    write_only,
)

CUSTOMER = Declaration(
    "Customer",
    (
        Field("id", INTEGER),
        Field("date_created", DATE),
        Field("date_created_gmt", DATE),
        Field("date_modified", NULLABLE_DATE),
        Field("date_modified_gmt", NULLABLE_DATE),
        Field("email", STRING, writable=True, input=EMAIL, required=True),
        Field("first_name", STRING, writable=True),
        Field("last_name", STRING, writable=True),
        # A create always makes a "customer"; the role applies on update.
        Field("role", enum(CUSTOMER_ROLES), writable="update"),
        Field("username", STRING, writable=True),
        Field("password", writable=True, input=write_only(STRING)),
        Field("billing", shape=CUSTOMER_BILLING, writable=True),
        Field("shipping", shape=CUSTOMER_SHIPPING, writable=True),
        Field("is_paying_customer", BOOLEAN),
        Field("avatar_url", URI),
        Field("meta_data", shape=META, many=True, writable=True),
        Field("_links", links("self", "collection")),
    ),
)
