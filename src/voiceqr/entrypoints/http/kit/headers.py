"""Response headers several features send."""

from __future__ import annotations

from litestar.datastructures import CacheControlHeader

# Pages that show a user's own data, a secret or a form's input are never cached.
NO_STORE = {"Cache-Control": "no-store"}
# The same for API replies (`cache_control=` of a route).
NO_STORE_REPLY = CacheControlHeader(no_store=True)
