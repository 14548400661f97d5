"""HAL paging links: properties that hold for every page of every list."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from ringway.domain.pagination import page_count, page_links, record_links


def _index(href: str, param: str) -> int | None:
    values = parse_qs(urlsplit(href).query).get(param)
    return int(values[0]) if values else None


@given(
    total=st.integers(0, 5000),
    size=st.integers(1, 1000),
    page=st.integers(1, 60),
)
def test_v2_links_walk_every_page_exactly(total: int, size: int, page: int) -> None:
    pages = page_count(total, size)
    links = page_links("/v2/applications", "page", size, page, max(pages, 1), 1)
    assert _index(links["self"]["href"], "page") == page
    assert _index(links["first"]["href"], "page") is None
    assert _index(links["last"]["href"], "page") == max(pages, 1)
    for link in links.values():
        assert _index(link["href"], "page_size") == size
    assert ("next" in links) == (page < pages)
    if "next" in links:
        assert _index(links["next"]["href"], "page") == page + 1
    assert ("prev" in links) == (page > 1)
    if "prev" in links:
        prev = _index(links["prev"]["href"], "page")
        assert prev is not None
        assert 1 <= prev < page


@given(total=st.integers(0, 500), size=st.integers(1, 50))
def test_following_next_from_first_visits_each_page_once(total: int, size: int) -> None:
    pages = page_count(total, size)
    seen, index = [], 1
    while True:
        links = page_links("/v2/applications", "page", size, index, max(pages, 1), 1)
        seen.append(index)
        if "next" not in links:
            break
        index = _index(links["next"]["href"], "page") or 0
    assert seen == list(range(1, max(pages, 1) + 1))


def test_v1_links_count_from_zero() -> None:
    links = page_links("/v1/applications", "page_index", 10, 0, 2, 0)
    assert links["first"] == {"href": "/v1/applications?page_size=10"}
    assert links["next"] == {"href": "/v1/applications?page_size=10&page_index=1"}
    assert links["last"] == {"href": "/v1/applications?page_size=10&page_index=2"}
    assert "prev" not in links


@given(total=st.integers(0, 500), size=st.integers(1, 100), start=st.integers(0, 600))
def test_record_links_walk_every_record_once_keeping_the_filters(
    total: int, size: int, start: int
) -> None:
    """Following ``next`` from any page covers the rest of the list once, with its filters;
    ``prev`` never goes below the first record."""
    kept = {"status": "completed", "order": "asc"}
    links = record_links("/v1/calls", size, start, total, kept)
    assert _index(links["self"]["href"], "record_index") == start
    if start > 0:
        assert _index(links["prev"]["href"], "record_index") == max(start - size, 0)
    else:
        assert "prev" not in links
    seen, index = 0, start
    while "next" in links:
        for link in links.values():
            query = parse_qs(urlsplit(link["href"]).query)
            assert query["status"] == ["completed"] and query["order"] == ["asc"]
            assert query["page_size"] == [str(size)]
        seen += size
        index = _index(links["next"]["href"], "record_index") or 0
        links = record_links("/v1/calls", size, index, total, kept)
    assert index + size >= total and seen == index - start
