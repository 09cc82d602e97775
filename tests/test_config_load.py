"""Reading configuration files (syntax errors with line and column) and the lint of known traps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_woosim.instance.config import ConfigError, InstanceConfig
from pytest_woosim.instance.load import aload_instance, load_instance, warnings_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instances"
POLLER = 'configuration."event.poller.configuration"'


def syntax_problem(text: str) -> tuple[int | None, int | None, str]:
    with pytest.raises(ConfigError) as caught:
        load_instance(text)
    (problem,) = caught.value.problems
    return problem.line, problem.col, problem.message


def lint(**resource: Any) -> dict[str, str]:
    """Warnings for a polling configuration with one resource ``orders`` (plus changes)."""
    url = resource.pop("url", "/hubs/ecommerce/orders")
    name = resource.pop("name", "orders")
    data = json.loads((FIXTURES / "recommended-polling.json").read_text())
    data["configuration"]["event.poller.configuration"] = {
        name: {"url": url, "idField": "id", **resource}
    }
    return {w.path: w.message for w in warnings_for(load_instance(data))}


# ----------------------------------------------------------------------- reading
def test_the_published_polling_example_is_missing_a_brace_before_tags() -> None:
    text = (FIXTURES / "seed-polling-as-published.json").read_text()
    line, col, message = syntax_problem(text)
    assert (line, col) == (27, 3)
    assert text.splitlines()[26].strip().startswith('"tags"')
    assert "missing '}' before \"tags\"" in message
    assert 'the object "configuration" opened at line 5, col 20 is never closed' in message
    assert "line 32, col 1: Expecting ',' delimiter" in message


def test_the_corrected_example_differs_by_that_one_brace() -> None:
    published = (FIXTURES / "seed-polling-as-published.json").read_text()
    corrected = (FIXTURES / "seed-polling-corrected.json").read_text()
    assert corrected.count("}") == published.count("}") + 1
    assert corrected.replace('     }\n  },\n  "tags"', '  },\n  "tags"') == published
    config = load_instance(FIXTURES / "seed-polling-corrected.json")
    assert config.name == "WooCommerceForDocs" and config.tags == ["Docs"]


def test_a_missing_bracket_is_located() -> None:
    text = '{\n  "tags": [\n    "Docs"\n  "name": "x"\n}\n'
    line, col, message = syntax_problem(text)
    assert (line, col) == (4, 3)
    assert 'missing \']\' before "name": the array "tags" opened at line 2, col 11' in message


@pytest.mark.parametrize(
    ("text", "where", "hint"),
    [
        ('{\n  "a": 1,\n}', (3, 1), "trailing comma before '}'"),
        ('{"a": [1, 2, ]}', (1, 14), "trailing comma before ']'"),
        ("{'a': 1}", (1, 2), "double quotes"),
        ('{"a": 1} x', (1, 10), "Extra data"),
        ('{\n\n  "a": tru\n}', (3, 8), "Expecting value"),
    ],
)
def test_syntax_errors_have_line_and_column(text: str, where: tuple[int, int], hint: str) -> None:
    line, col, message = syntax_problem(text)
    assert (line, col) == where
    assert hint in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_instance(path)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_instance(tmp_path / "missing.json")
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{\n  "name": "caf\xe9"\n}')
    with pytest.raises(ConfigError) as caught:
        load_instance(path)
    assert (caught.value.problems[0].line, caught.value.problems[0].message) == (
        2,
        "the file is not UTF-8 text",
    )


def test_sources_path_text_mapping_and_async(tmp_path: Path) -> None:
    path = FIXTURES / "recommended-webhook.json"
    from_path = load_instance(path)
    assert load_instance(str(path)) == from_path
    assert load_instance(path.read_text()) == from_path
    assert load_instance(json.loads(path.read_text())) == from_path


async def test_aload_instance() -> None:
    config = await aload_instance(FIXTURES / "recommended-polling.json")
    assert isinstance(config, InstanceConfig)


def test_duplicate_keys_are_warned() -> None:
    text = (FIXTURES / "recommended-webhook.json").read_text()
    text = text.replace('"name":', '"name": "first",\n  "name":')
    warnings = {w.path: w.message for w in warnings_for(load_instance(text))}
    assert warnings["name"] == "the key appears more than once; the last value wins"


# --------------------------------------------------------------------------- lint
def test_recommended_configurations_have_no_warnings() -> None:
    for name in ("recommended-polling.json", "recommended-webhook.json"):
        assert warnings_for(load_instance(FIXTURES / name)) == []


def test_seed_examples_warn_about_their_traps() -> None:
    warnings = {
        w.path: w.message
        for w in warnings_for(load_instance(FIXTURES / "seed-polling-corrected.json"))
    }
    dates = f"{POLLER}.customers.datesConfiguration"
    assert "right only for a store in UTC" in warnings[f"{dates}.updatedDateField"]
    assert "use date_modified_gmt" in warnings[f"{dates}.updatedDateField"]
    assert "use date_created_gmt" in warnings[f"{dates}.createdDateField"]
    assert "events are not enabled" in warnings['configuration."event.notification.enabled"']
    assert "store's own URL" in warnings['configuration."event.notification.callback.url"']
    webhook = {w.path for w in warnings_for(load_instance(FIXTURES / "seed-webhook.json"))}
    assert 'configuration."event.notification.enabled"' in webhook


def test_empty_dates_configuration_says_which_defaults_apply() -> None:
    warnings = lint(datesConfiguration={})
    message = warnings[f"{POLLER}.orders.datesConfiguration"]
    assert message.startswith("empty: the element defaults apply")
    assert "updatedDateField date_modified" in message and "updatedDateTimezone GMT" in message
    assert (
        "right only for a store in UTC"
        in warnings[f"{POLLER}.orders.datesConfiguration.updatedDateField"]
    )
    assert lint()[f"{POLLER}.orders.datesConfiguration"].startswith("not given")


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [
        (
            "yyyy-MM-dd'T'HH:mm:ssXXX",
            "cannot parse WooCommerce's dates such as 2017-03-21T16:09:28",
        ),
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "cannot parse"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "cannot parse"),
        ("yyyy-MM-dd", "reads WooCommerce's 2017-03-21T16:09:28 as 2017-03-21T00:00:00+00:00"),
        ("yyyy-dd-MM", "reads WooCommerce's"),
        ("milliseconds", "not epoch milliseconds"),
    ],
)
def test_patterns_that_cannot_read_woocommerce_dates(date_format: str, expected: str) -> None:
    warnings = lint(
        datesConfiguration={
            "updatedDateField": "date_modified_gmt",
            "createdDateField": "date_created_gmt",
            "updatedDateFormat": date_format,
        }
    )
    assert expected in warnings[f"{POLLER}.orders.datesConfiguration.updatedDateFormat"]
    assert expected in warnings[f"{POLLER}.orders.datesConfiguration.createdDateFormat"]


def test_customers_with_a_where_clause() -> None:
    url = "/hubs/ecommerce/customers?where=date_modified_gmt>='${gmtDate:yyyy-MM-dd'T'HH:mm:ss}'"
    warnings = lint(url=url, name="customers")
    assert "ignores date filters on customers" in warnings[f"{POLLER}.customers.url"]
    assert f"{POLLER}.orders.url" not in lint(url=url.replace("customers", "orders"))


def test_misspelt_keys_name_the_closest_known_key() -> None:
    data = json.loads((FIXTURES / "recommended-polling.json").read_text())
    conf = data["configuration"]
    conf["event.notification.enabeld"] = conf.pop("event.notification.enabled")
    conf["event.poller.refresh_intervall"] = "5"
    conf["event.something.new"] = "x"
    conf["my.own.key"] = "kept silently"
    conf["event.poller.urls"] = "customers|/hubs/ecommerce/customers"
    customers = conf["event.poller.configuration"]["customers"]
    customers["filterByUpdateDate"] = customers.pop("filterByUpdatedDate")
    customers["datesConfiguration"]["updatedDateTimeZone"] = "EST"
    warnings = {w.path: w.message for w in warnings_for(load_instance(data))}
    assert (
        "did you mean 'event.notification.enabled'"
        in warnings['configuration."event.notification.enabeld"']
    )
    assert (
        "did you mean 'event.poller.refresh_interval'"
        in warnings['configuration."event.poller.refresh_intervall"']
    )
    assert warnings['configuration."event.something.new"'] == "unknown key (kept, not used)"
    assert 'configuration."my.own.key"' not in warnings
    assert "legacy poller format" in warnings['configuration."event.poller.urls"']
    assert (
        "did you mean 'filterByUpdatedDate'" in warnings[f"{POLLER}.customers.filterByUpdateDate"]
    )
    assert (
        "did you mean 'updatedDateTimezone'"
        in warnings[f"{POLLER}.customers.datesConfiguration.updatedDateTimeZone"]
    )


def test_unknown_zones_unsupported_resources_and_mismatched_keys() -> None:
    warnings = lint(
        name="contacts",
        url="/hubs/ecommerce/customers",
        datesConfiguration={
            "updatedDateField": "date_modified_gmt",
            "createdDateField": "date_created_gmt",
            "updatedDateTimezone": "Mars/Base",
        },
    )
    assert (
        "Java reads it as GMT"
        in warnings[f"{POLLER}.contacts.datesConfiguration.updatedDateTimezone"]
    )
    assert "events will carry objectType 'contacts'" in warnings[f"{POLLER}.contacts"]
    discounts = lint(name="discounts", url="/hubs/ecommerce/discounts")
    # Discounts are the store's coupons, which it serves: nothing to say about the url.
    assert f"{POLLER}.discounts.url" not in discounts
    fields = lint(
        datesConfiguration={
            "updatedDateField": "date_updated",
            "createdDateField": "date_created_gmt",
        }
    )
    assert (
        "no date field 'date_updated'"
        in fields[f"{POLLER}.orders.datesConfiguration.updatedDateField"]
    )
    zone = lint(url="/hubs/ecommerce/orders?after=${dateTimeZone:Nowhere:yyyy}")
    assert "unknown time zone id 'Nowhere'" in zone[f"{POLLER}.orders.url"]


def test_vendor_defaults_and_webhook_with_poller() -> None:
    data = json.loads((FIXTURES / "recommended-polling.json").read_text())
    del data["configuration"]["event.vendor.type"]
    del data["configuration"]["event.poller.configuration"]
    warnings = {w.path: w.message for w in warnings_for(load_instance(data))}
    assert 'the element default "polling" applies' in warnings['configuration."event.vendor.type"']
    assert "customers, orders, products" in warnings[POLLER]
    data["configuration"]["event.vendor.type"] = "webhook"
    data["configuration"]["event.poller.configuration"] = "{}"
    assert not warnings_for(load_instance(data))
    data["configuration"]["event.poller.configuration"] = {
        "orders": {"url": "orders", "idField": "id"}
    }
    warnings = {w.path: w.message for w in warnings_for(load_instance(data))}
    assert "nothing is polled" in warnings[POLLER]
    data["configuration"]["event.vendor.type"] = "polling"
    data["configuration"]["event.poller.configuration"] = {}
    warnings = {w.path: w.message for w in warnings_for(load_instance(data))}
    assert "empty: polling is on but nothing is polled" in warnings[POLLER]
