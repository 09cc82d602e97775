"""REST list pieces: paging Link headers reused per query (a reused one must equal a fresh
one), and the page body joined from ready fragments."""

from __future__ import annotations

from typing import Any

from simulator.rest import responses as common
from simulator.rest.responses import paging_link

URL = "http://shop.test/wp-json/wc/v3/orders"


def fresh(params: dict[str, Any], page: int, max_pages: int) -> str | None:
    common._LINKS.clear()
    return paging_link(URL, params, page, max_pages)


def test_a_reused_link_equals_a_fresh_one() -> None:
    params = {"per_page": 10, "status": ["any"], "search": "a b"}
    first = fresh(params, 2, 5)
    assert first == (
        f'<{URL}?per_page=10&status%5B0%5D=any&search=a+b&page=1>; rel="prev", '
        f'<{URL}?per_page=10&status%5B0%5D=any&search=a+b&page=3>; rel="next"'
    )
    assert paging_link(URL, dict(params), 2, 5) == first


def test_values_equal_in_python_but_written_differently_get_their_own_links() -> None:
    # False and 0 compare equal (and hash alike) but a link writes them differently.
    common._LINKS.clear()
    with_zero = paging_link(URL, {"filter": [0]}, 1, 2)
    with_false = paging_link(URL, {"filter": [False]}, 1, 2)
    assert with_zero == f'<{URL}?filter%5B0%5D=0&page=2>; rel="next"'
    assert with_false == fresh({"filter": [False]}, 1, 2)
    assert with_false != with_zero


def test_the_page_count_is_part_of_the_key() -> None:
    common._LINKS.clear()
    assert paging_link(URL, {"per_page": 1}, 1, 1) is None
    assert paging_link(URL, {"per_page": 1}, 1, 2) == f'<{URL}?per_page=1&page=2>; rel="next"'


def test_a_page_body_is_a_json_array_of_its_fragments() -> None:
    assert common.json_array([]) == b"[]"
    assert common.json_array([b"{}"]) == b"[{}]"
    assert common.json_array([b'{"id":1}', b'{"id":2}']) == b'[{"id":1},{"id":2}]'


def test_a_single_page_has_no_link() -> None:
    for page, max_pages in ((1, 1), (1, 0), (0, 0)):
        assert fresh({"per_page": 10}, page, max_pages) is None
    assert fresh({"per_page": 10}, 1, 2) == f'<{URL}?per_page=10&page=2>; rel="next"'
    assert fresh({"per_page": 10}, 2, 1) == f'<{URL}?per_page=10&page=1>; rel="prev"'
