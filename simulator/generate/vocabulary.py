"""The generated shop's fixed vocabulary: statuses and their weights, payment and
shipping methods, categories, product names, browsers, e-mail domains, basket sizes."""

from __future__ import annotations

import itertools

from simulator.discounts import Rule
from simulator.models import Category

DAY = 86_400
#: The coupon a tenth of generated orders carry: 10 % off the basket.
GENERATED_COUPON_RULE = Rule(code="save10", discount_type="percent", amount=10.0)
#: Statuses in which an order's coupon use does not count (wc_update_coupon_usage_counts).
UNCOUNTED = frozenset({"cancelled", "failed"})
#: Status weights for generated orders (older orders are mostly settled).
STATUS_WEIGHTS = (
    ("completed", 55),
    ("processing", 14),
    ("on-hold", 5),
    ("pending", 8),
    ("cancelled", 7),
    ("refunded", 4),
    ("failed", 7),
)
STATUS_NAMES = [name for name, _ in STATUS_WEIGHTS]
STATUS_CUMULATIVE = list(itertools.accumulate(weight for _, weight in STATUS_WEIGHTS))
PAYMENT_METHODS = (
    ("bacs", "Direct bank transfer"),
    ("cod", "Cash on delivery"),
    ("stripe", "Credit Card (Stripe)"),
    ("ppcp-gateway", "PayPal"),
)
SHIPPING_METHODS = (
    ("flat_rate", "Flat rate", "1", 500),
    ("flat_rate", "Express", "2", 1500),
    ("free_shipping", "Free shipping", "3", 0),
    ("local_pickup", "Local pickup", "4", 0),
)
CATEGORIES = (
    Category(16, "Clothing", "clothing"),
    Category(17, "Accessories", "accessories"),
    Category(18, "Home & Kitchen", "home-kitchen"),
    Category(19, "Music", "music"),
    Category(20, "Outdoors", "outdoors"),
)
ADJECTIVES = (
    "Classic",
    "Rustic",
    "Vintage",
    "Modern",
    "Ergonomic",
    "Organic",
    "Handmade",
    "Premium",
    "Sleek",
    "Cozy",
    "Lightweight",
    "Durable",
    "Elegant",
    "Compact",
    "Deluxe",
    "Essential",
)
MATERIALS = (
    "Cotton",
    "Wool",
    "Leather",
    "Linen",
    "Bamboo",
    "Ceramic",
    "Steel",
    "Oak",
    "Canvas",
    "Denim",
    "Copper",
    "Glass",
    "Silk",
    "Granite",
)
NOUNS = (
    ("Hoodie", 16),
    ("T-Shirt", 16),
    ("Beanie", 16),
    ("Scarf", 17),
    ("Belt", 17),
    ("Wallet", 17),
    ("Sunglasses", 17),
    ("Mug", 18),
    ("Bowl", 18),
    ("Cutting Board", 18),
    ("Lamp", 18),
    ("Album", 19),
    ("Vinyl Record", 19),
    ("Poster", 19),
    ("Backpack", 20),
    ("Water Bottle", 20),
    ("Tent", 20),
    ("Hammock", 20),
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
STATUS_TOTAL = STATUS_CUMULATIVE[-1]
LINE_COUNTS = (1, 1, 1, 2, 2, 3, 4)
QUANTITIES = (1, 1, 1, 2, 2, 3)


__all__ = [
    "ADJECTIVES",
    "CATEGORIES",
    "DAY",
    "EMAIL_DOMAINS",
    "GENERATED_COUPON_RULE",
    "LINE_COUNTS",
    "MATERIALS",
    "NOUNS",
    "PAYMENT_METHODS",
    "QUANTITIES",
    "SHIPPING_METHODS",
    "STATUS_CUMULATIVE",
    "STATUS_NAMES",
    "STATUS_TOTAL",
    "STATUS_WEIGHTS",
    "UNCOUNTED",
    "USER_AGENTS",
]
