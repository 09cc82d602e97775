"""How to: run your own instance configuration file against the store (``woosim_instance.load``)."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "instances"


@pytest.mark.woosim(timezone="America/New_York", start="2024-06-03T13:00:00Z")
def test_the_published_example_warns_on_a_new_york_store(
    woosim, woosim_clock, woosim_instance, woosim_poller
):
    instance = woosim_instance.load(FIXTURES / "seed-polling-corrected.json")
    assert instance.configuration.store_url == woosim.site_url

    woosim.create_customer(first_name="Before the poll")
    poller = woosim_poller(instance)
    assert any("use date_modified_gmt" in warning for warning in poller.warnings)
