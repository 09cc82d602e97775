"""Memory: resident bytes per order in a store of 1,000,000 generated orders.

The store runs in a child process (``bench.common serve-store``, shared with
the REST window figure when both run in one ``bench.run``); it reads its own
RSS after the customers and products are in and again after the orders, with
a full collection before each reading.

    python -m bench.bench_memory [--quick]
"""

from __future__ import annotations

import argparse
import sys

from bench.common import Figure, Target, stop_stores, store_server, text_table

ORDERS = 1_000_000
QUICK_ORDERS = 100_000


def measure(quick: bool) -> list[Figure]:
    orders = QUICK_ORDERS if quick else ORDERS
    info = store_server(orders).info
    grown = int(info["rss_after"]) - int(info["rss_before"])
    per_order = grown / orders
    return [
        Figure(
            f"memory: bytes per order with {orders:,} orders",
            per_order,
            "B/order",
            Target("report"),
            note=(
                f"RSS {int(info['rss_before']) / 2**20:,.0f} MiB before the orders, "
                f"{int(info['rss_after']) / 2**20:,.0f} MiB after "
                f"({grown / 2**30:.2f} GiB for the orders, their indexes and links); "
                f"generated in {float(info['generate_seconds']):.0f} s"
                + ("; --quick measures 100,000 orders" if quick else "")
            ),
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    try:
        print(text_table(measure(args.quick)))
    finally:
        stop_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main())
