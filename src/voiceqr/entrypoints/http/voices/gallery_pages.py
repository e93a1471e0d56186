"""The gallery's pages: `/voices` (search, filters, sorts, samples to play, stars and
ratings, ticks to compare) and a voice's own page with its reviews, where those who made
audio with it rate it. Visitors browse; starring and reviewing need an account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.voices.engagement import ReviewPage
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.generations.previews import MAX_VOICES, MIN_VOICES
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, NotFound
from voiceqr.domain.voices.choosing import FilterOptions, VoiceQuery, VoiceSort
from voiceqr.domain.voices.reviews import MAX_RATING, MIN_RATING, VoiceReview
from voiceqr.domain.voices.voice import USE_CASES
from voiceqr.entrypoints.http.kit.auth import client_address, current_user, optional_user, staff
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status, safe_next
from voiceqr.entrypoints.http.kit.voice_engagement import voice_cards
from voiceqr.entrypoints.http.kit.voices import GUESS_FROM_CHARS

_VIEWER = {"viewer": Provide(optional_user)}
_SIGNED_IN = {"user": Provide(current_user)}

# Each filter of the form: its query field, its label, and where its menu's values are.
FILTERS = (
    ("gender", "Gender", "genders"),
    ("language", "Language", "languages"),
    ("accent", "Accent or region", "accents"),
    ("age", "Age", "ages"),
    ("style", "Style", "styles"),
    ("use_case", "Use case", "use_cases"),
    ("tag", "Tag", "tags"),
    ("category", "Category", "categories"),
)
MAX_SEARCH = 200
REVIEWS_PER_PAGE = 10


@dataclass
class GalleryForm:
    """What the gallery's form asked for, as typed, and what is wrong with it in words."""

    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> int:
        """How many filters narrow the list (the folded filters' summary says it)."""
        return sum(1 for name, _, _ in FILTERS if self.values.get(name)) + bool(
            self.values.get("for")
        )

    def query(self) -> VoiceQuery:
        v = self.values
        return VoiceQuery(
            text=v["q"],
            gender=v["gender"],
            language=v["language"],
            accent=v["accent"],
            age=v["age"],
            style=v["style"],
            use_case=v["use_case"],
            tag=v["tag"],
            category=v["category"],
            sort=VoiceSort(v["sort"] or VoiceSort.RECOMMENDED),
            content_type=v["for"],
            sample_text=v["text"],
        )


def read_form(params: Mapping[str, str], options: FilterOptions) -> GalleryForm:
    """The gallery's query string, checked: a filter value must be one its menu offers, a
    sort or content type one the gallery knows; a text to guess from is cut short."""
    form = GalleryForm()
    values = form.values
    values["q"] = params.get("q", "").strip()
    if len(values["q"]) > MAX_SEARCH:
        form.problems.append(f"Search for at most {MAX_SEARCH} characters.")
    for name, label, menu in FILTERS:
        value = values[name] = params.get(name, "").strip()
        if value and value not in getattr(options, menu):
            shown = value[:50]
            form.problems.append(
                f"There is no {label.lower()} “{shown}” in the gallery: pick one from the list."
            )
    values["sort"] = params.get("sort", "").strip()
    if values["sort"] and values["sort"] not in set(VoiceSort):
        form.problems.append("Sort by recommended, popular, newest or name.")
    values["for"] = params.get("for", "").strip()
    if values["for"] and values["for"] not in USE_CASES:
        form.problems.append("Pick the kind of content from the list.")
    values["text"] = params.get("text", "")[:GUESS_FROM_CHARS]
    values["pick"] = "1" if params.get("pick") else ""
    return form


@get("/voices", dependencies=_VIEWER)
async def gallery_page(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    viewer: NamedDependency[User | None],
) -> Template:
    """The gallery: what the form asks for, as cards; a bad value is a 400 that says why."""
    options = await platform.voices.filters()
    form = read_form(request.query_params, options)
    cards = []
    if not form.problems:
        query = form.query()
        cards = await voice_cards(platform, viewer, await platform.voices.browse(viewer, query))
        if viewer is not None and query.sort is VoiceSort.RECOMMENDED:
            cards.sort(key=lambda c: not c.engagement.favorite)  # stable: favorites first
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return page(
        "voices/gallery.html",
        400 if form.problems else 200,
        user=viewer,
        form=form,
        options=options,
        filters=FILTERS,
        sorts=list(VoiceSort),
        use_cases=USE_CASES,
        cards=cards,
        here=here,
        min_voices=MIN_VOICES,
        max_voices=MAX_VOICES,
        max_search=MAX_SEARCH,
    )


@post("/voices/{voice_id:uuid}/favorite", status_code=303, dependencies=_SIGNED_IN)
async def favorite_submit(
    voice_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Redirect:
    """Star (`starred=1`) or unstar a voice, then back to the page the form was on."""
    if data.get("starred") == "1":
        await platform.voice_engagement.favorite(user, voice_id)
    else:
        await platform.voice_engagement.unfavorite(user, voice_id)
    back = safe_next(data.get("next") or "/voices")
    return Redirect(f"{back}#voice-{voice_id}", status_code=303)


async def _voice_page(
    platform: Platform,
    viewer: User | None,
    voice_id: UUID,
    *,
    after: str | None = None,
    error: str | None = None,
    rating: str = "",
    text: str | None = None,
    saved: bool = False,
    notice: str = "",
    status: int = 200,
) -> Template:
    card = await platform.voices.card(voice_id, user=viewer)
    (shown,) = await voice_cards(platform, viewer, [card])
    reviews: ReviewPage | None = None
    own: VoiceReview | None = None
    if viewer is not None:
        reviews = await platform.voice_engagement.reviews(
            viewer, voice_id, cursor=after, limit=REVIEWS_PER_PAGE
        )
        try:
            own = await platform.voice_engagement.own_review(viewer, voice_id)
        except NotFound:
            own = None
    return page(
        "voices/voice.html",
        status,
        user=viewer,
        card=shown,
        reviews=reviews,
        own=own,
        after=after,
        error=error,
        saved=saved,
        notice=notice,
        moderates=viewer is not None and can(viewer, Permission.MODERATE_REVIEWS),
        rating=rating or (str(own.rating) if own else ""),
        text=text if text is not None else (own.text if own else ""),
        ratings=range(MAX_RATING, MIN_RATING - 1, -1),
        here=f"/voices/{voice_id}",
    )


@get("/voices/{voice_id:uuid}", dependencies=_VIEWER)
async def voice_page(
    voice_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    viewer: NamedDependency[User | None],
    after: FromQuery[str | None] = None,
    saved: FromQuery[str] = "",
) -> Template:
    """A voice with every sample, its rating and its reviews a page at a time (signed-in
    people), and one's own rating and review to write or change."""
    return await _voice_page(platform, viewer, voice_id, after=after, saved=bool(saved))


@post("/voices/{voice_id:uuid}/review", status_code=303, dependencies=_SIGNED_IN)
async def review_submit(
    voice_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """Write or change one's rating and review; a refusal comes back in words."""
    rating, text = data.get("rating", ""), data.get("text", "")
    if rating not in {str(n) for n in range(MIN_RATING, MAX_RATING + 1)}:
        return await _voice_page(
            platform,
            user,
            voice_id,
            error=f"Pick {MIN_RATING} to {MAX_RATING} stars.",
            rating=rating,
            text=text,
            status=400,
        )
    try:
        await platform.voice_engagement.write_review(user, voice_id, rating=int(rating), text=text)
    except DomainError as exc:
        status = refusal_status(exc, (ErrorCategory.VALIDATION, ErrorCategory.PERMISSION))
        return await _voice_page(
            platform, user, voice_id, error=exc.message, rating=rating, text=text, status=status
        )
    return Redirect(f"/voices/{voice_id}?{urlencode({'saved': 1})}#your-review", status_code=303)


@post(
    "/voices/{voice_id:uuid}/reviews/{review_id:uuid}/hidden",
    status_code=303,
    dependencies={"moderator": staff(Permission.MODERATE_REVIEWS)},
)
async def review_hiding_submit(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    review_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    moderator: NamedDependency[User],
) -> Response[Any]:
    """Staff who moderate reviews hide one from the listing and the average, or show it
    again, with a reason (the audit log keeps it)."""
    hide = data.get("hidden") == "1"
    try:
        await platform.voice_engagement.set_hidden(
            moderator,
            voice_id,
            review_id,
            hidden=hide,
            reason=data.get("reason", ""),
            ip=client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc, (ErrorCategory.VALIDATION,))
        return await _voice_page(platform, moderator, voice_id, error=exc.message, status=status)
    done = "hidden" if hide else "shown again"
    return await _voice_page(platform, moderator, voice_id, notice=f"The review is {done}.")
