"""Walking Backlog's list endpoints page by page: the paging half of :class:`.BacklogClient`.

Each page is checked to be a list of objects (:func:`.shapes.expect_list`) before the paging
strategy (:mod:`.paging`) reads it, so a drifted answer fails naming the endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from typing import TYPE_CHECKING, Any, cast

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.pacing import Pacer
from backlog_connector.backlog.paging import IdCursorPaginator, OffsetPaginator, Paginator, Row
from backlog_connector.backlog.params import Params, encode_params, without
from backlog_connector.backlog.responses import Decode
from backlog_connector.backlog.shapes import expect_list

#: what parsed JSON is made of (anything else came from a decoder)
_JSON_TYPES = (list, dict, str, int, float, type(None))


class ListWalks:
    """``paginate``, ``iter_offset`` (``iter_offset_decoded``) and ``iter_ids`` over the
    client's ``get``."""

    account_name: str
    address: SpaceAddress
    _pacer: Pacer

    if TYPE_CHECKING:

        def get(
            self, path: str, params: Params | None = None, *, decode: Decode | None = None
        ) -> Any: ...

        def _resolve_user_key(self) -> str: ...

    def paginate(
        self, path: str, params: Params | None, paginator: Paginator
    ) -> Iterator[list[Row]]:
        """Yield the pages of a list endpoint as lists of rows, as ``paginator`` walks it."""
        for page in self._walk(path, params, paginator, None):
            yield cast(list[Row], page)  # without a decoder every page is rows

    def iter_offset_decoded(
        self, path: str, params: Params | None, decode: Decode, *, page_size: int = 100
    ) -> Iterator[list[Row] | Sized]:
        """As :meth:`iter_offset`, each page's body given to ``decode`` first: a page is what
        ``decode`` made of it, or its rows where ``decode`` answered None."""
        return self._walk(path, params, OffsetPaginator(page_size), decode)

    def _walk(
        self, path: str, params: Params | None, paginator: Paginator, decode: Decode | None
    ) -> Iterator[list[Row] | Sized]:
        base = without(encode_params(params), paginator.owned)
        self._align_walk(path)
        while paginator.has_next:
            answer = self.get(path, base + paginator.page_params(), decode=decode)
            page: list[Row] | Sized
            if isinstance(answer, _JSON_TYPES):
                page = paginator.take(
                    expect_list(answer, path=path, account=self.account_name or None)
                )
            else:  # a decoded page (decoders are given to offset walks only)
                assert isinstance(paginator, OffsetPaginator)
                paginator.advance(len(answer))
                page = answer
            if len(page):
                yield page

    def iter_offset(
        self, path: str, params: Params | None = None, *, page_size: int = 100
    ) -> Iterator[list[Row]]:
        """Pages of an ``offset``/``count`` list (issues, teams) until a short page."""
        return self.paginate(path, params, OffsetPaginator(page_size))

    def iter_ids(
        self,
        path: str,
        params: Params | None = None,
        *,
        order: str = "desc",
        min_id: int | None = None,
        max_id: int | None = None,
        page_size: int = 100,
    ) -> Iterator[list[Row]]:
        """Pages of an id-cursor list (activities, comments), each id once.

        ``min_id``/``max_id`` are exclusive bounds.
        """
        return self.paginate(path, params, IdCursorPaginator(order, min_id, max_id, page_size))

    def _align_walk(self, path: str) -> None:
        self._pacer.align_walk(self._resolve_user_key(), path)
