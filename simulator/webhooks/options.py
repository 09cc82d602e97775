"""How the store's webhook sender behaves (timeouts, cadence, concurrency, failures)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field


@dataclass
class DeliveryOptions:
    """How the store's webhook sender behaves; every field has the real store's default
    except ``queue_interval``, which defaults to delivering promptly."""

    #: WC_Webhook::deliver(): 'timeout' => MINUTE_IN_SECONDS (real seconds on the wire).
    timeout: float = 60.0
    #: deliver_ping() uses wp_safe_remote_post()'s default timeout.
    ping_timeout: float = 5.0
    #: Store-clock seconds between queue runs. 0: the queue runs as soon as a change
    #: settles, so tests need not move the clock. 60: the real store's WP-Cron cadence
    #: (runs on multiples of 60 s of the store clock; move the clock to deliver).
    queue_interval: float = 0.0
    #: Store-clock seconds a change waits before its delivery is due (0 = at once).
    delay: float = 0.0
    #: Deliveries on the wire at once (each URL gets one at a time; the rest wait their turn).
    concurrency: int = 100
    #: 'woocommerce_max_webhook_delivery_failures'.
    max_failures: int = 5
    #: Apply wp_http_validate_url() (no private hosts unless the site's, ports 80/443/8080).
    restrict_delivery_urls: bool = False
    #: Site salt for X-WC-Webhook-Delivery-ID (wp_hash); random per store when not given.
    salt: str = field(default_factory=lambda: secrets.token_hex(32))

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.ping_timeout <= 0:
            raise ValueError("delivery timeouts must be greater than 0 seconds")
        if self.delay < 0:
            raise ValueError("delivery delay cannot be negative")
        if self.queue_interval < 0:
            raise ValueError("queue_interval cannot be negative")
        if self.concurrency < 1:
            raise ValueError("delivery concurrency must be at least 1")
