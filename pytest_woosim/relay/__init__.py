"""The reference webhook relay: WooCommerce webhooks in (verified, normalised, stored),
its webhooks registered on the store, and the optional reconciliation poll."""
