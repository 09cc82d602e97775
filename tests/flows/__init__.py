"""The business flows as a real WooCommerce 10.0.2 store runs them, and the fake's against them.

``record.py`` drives a real store the way a shop does (Store API checkout, admin REST
writes) and writes ``fixtures/flows/<name>.json``; ``sequence.py`` turns what a store
did (its webhook deliveries, the order's notes, the stock) into that normalised form,
for the recording and for the fake alike.
"""
