"""Voices: the gallery a generation's voice is picked from, its samples, people's
favorites, ratings and reviews of its voices, and comparing voices side by side (one text
read by several)."""

from litestar import Router

from voiceqr.entrypoints.http.voices import (
    api,
    compare_api,
    compare_pages,
    engagement_api,
    gallery_pages,
    samples_api,
)

api_router = Router(
    path="/",
    route_handlers=[
        api.api_router,
        samples_api.api_router,
        engagement_api.engagement_router,
        compare_api.api_router,
    ],
)
# Each page says who may see it (the gallery is public, comparing needs a signed-in user).
pages_router = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        gallery_pages.gallery_page,
        gallery_pages.voice_page,
        gallery_pages.favorite_submit,
        gallery_pages.review_submit,
        gallery_pages.review_hiding_submit,
        compare_pages.compare_page,
        compare_pages.compare_submit,
        compare_pages.comparison_page,
    ],
)

__all__ = ["api_router", "pages_router"]
