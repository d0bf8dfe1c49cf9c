"""Refuse an oversized request body before reading it whole.

The Content-Length is checked first; a body without one (chunked) is read at most ``limit + 1``
bytes, so a client cannot make the server hold more than the limit in memory.
"""

import logging

_logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """The body is larger than ``limit`` bytes."""

    def __init__(self, limit):
        super().__init__(limit)
        self.limit = limit


def limit_from_parameter(env, key, default):
    """The byte limit stored in ``ir.config_parameter`` ``key``; ``default`` when it is unset or
    not a positive integer (a typo must not lift the limit)."""
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        limit = int(value) if value not in (None, False, "") else default
    except (TypeError, ValueError):
        _logger.warning("%s is not a number of bytes, using %s", key, default)
        return default
    return limit if limit > 0 else default


def read_limited_body(httprequest, limit):
    """The body of ``httprequest`` (werkzeug) as bytes, or raise BodyTooLarge when it has more than
    ``limit`` bytes, without reading more than ``limit + 1`` of them."""
    length = httprequest.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(limit)
    # Odoo's HTTPRequest does not expose werkzeug's stream; the wrapped request does.
    wrapped = getattr(httprequest, "_HTTPRequest__wrapped", httprequest)
    cached = getattr(wrapped, "_cached_data", None)
    if cached is None:
        # Cached as werkzeug's get_data does: a request Odoo replays after a serialization
        # conflict reads the same bytes again.
        cached = wrapped._cached_data = wrapped.stream.read(limit + 1)
    data = cached
    if len(data) > limit:
        raise BodyTooLarge(limit)
    return data
