"""Properties of the pure rules: generation lifecycle, backoff, text, codes, ids, accounts."""

from __future__ import annotations

import copy
import itertools
import math
import random
import re
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from voiceqr.domain.accounts.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    is_common_password,
    normalize_email,
)
from voiceqr.domain.generations.generation import (
    Failure,
    Generation,
    GenerationStatus,
    RetryPolicy,
    clean_text,
    is_well_formed_public_code,
    new_public_code,
)
from voiceqr.domain.shared.errors import ErrorCategory, IllegalTransition, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import is_blank

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TOLERANCE = timedelta(milliseconds=1)  # timedelta rounds float seconds to microseconds


def new_generation(now: datetime = START) -> Generation:
    return Generation(
        id=uuid7(),
        owner_id=uuid7(),
        voice_id=uuid7(),
        text="Hello there",
        public_code=new_public_code(),
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )


def backoff_band(policy: RetryPolicy, attempt: int) -> tuple[float, float]:
    """The smallest and largest delay (seconds) the policy may pick after `attempt` failed.

    Worked out in log space, so it holds for attempts far past the float range.
    """
    if policy.base_seconds == 0:
        raw = 0.0
    else:
        log_raw = math.log(policy.base_seconds) + max(0, attempt - 1) * math.log(policy.factor)
        raw = min(policy.cap_seconds, math.exp(min(log_raw, 700.0)))
    return max(1.0, raw * (1 - policy.jitter)), max(1.0, raw * (1 + policy.jitter))


# --- the state machine ---------------------------------------------------------------


class GenerationLifecycle(RuleBasedStateMachine):
    """Random walks of claim / complete / fail / expire_lease with a moving clock.

    A tiny model says which moves are legal; the real object must agree, refuse the
    others with IllegalTransition without changing, and keep its invariants.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.policy = RetryPolicy()
        self.generation = new_generation()
        self.finished: Generation | None = None  # a copy taken when it became final

    @initialize(max_attempts=st.integers(1, 5), base=st.sampled_from([0.0, 1.0, 30.0, 600.0]))
    def choose_policy(self, max_attempts: int, base: float) -> None:
        self.policy = RetryPolicy(max_attempts=max_attempts, base_seconds=base)

    # -- helpers

    def refused(self, move: object) -> None:
        before = copy.deepcopy(self.generation)
        with pytest.raises(IllegalTransition):
            move()  # type: ignore[operator]
        assert self.generation == before, "an illegal move changed the generation"

    def became_final(self) -> None:
        if self.generation.is_finished and self.finished is None:
            self.finished = copy.deepcopy(self.generation)

    # -- moves

    @rule(seconds=st.one_of(st.integers(0, 4 * 3600), st.sampled_from([1, 299, 300, 301])))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(lease_seconds=st.integers(1, 600))
    def claim(self, lease_seconds: int) -> None:
        g = self.generation
        due = g.next_attempt_at is None or g.next_attempt_at <= self.now
        if g.status is not GenerationStatus.PENDING or not due:
            self.refused(lambda: g.claim(self.now, timedelta(seconds=lease_seconds)))
            return
        attempts = g.attempts
        assert g.claim(self.now, timedelta(seconds=lease_seconds)) == attempts + 1
        assert g.status is GenerationStatus.PROCESSING
        assert g.attempts == attempts + 1
        assert g.lease_expires_at == self.now + timedelta(seconds=lease_seconds)
        assert g.holds_lease(g.attempts, self.now, revision=g.revision)
        assert not g.holds_lease(g.attempts - 1, self.now, revision=g.revision)
        assert not g.holds_lease(g.attempts, self.now, revision=g.revision + 1)

    @rule(size=st.integers(0, 10**6), billed=st.integers(0, 5000))
    def complete(self, size: int, billed: int) -> None:
        g = self.generation
        key = f"audio/{g.id}/{g.attempts}.mp3"
        if g.status is not GenerationStatus.PROCESSING:
            self.refused(
                lambda: g.complete(
                    audio_key=key, audio_bytes=size, characters_billed=billed, now=self.now
                )
            )
            return
        billed_before = g.characters_billed
        g.complete(audio_key=key, audio_bytes=size, characters_billed=billed, now=self.now)
        assert g.status is GenerationStatus.COMPLETED
        assert (g.audio_key, g.audio_bytes, g.completed_at) == (key, size, self.now)
        assert g.characters_billed == billed_before + billed
        assert g.lease_expires_at is None
        assert (g.error_category, g.error_code, g.error_message) == (None, None, None)
        self.became_final()

    @rule(
        retryable=st.booleans(),
        retry_after=st.one_of(st.none(), st.integers(0, 24 * 3600)),
        category=st.sampled_from(list(ErrorCategory)),
    )
    def fail(self, retryable: bool, retry_after: int | None, category: ErrorCategory) -> None:
        g = self.generation
        failure = Failure(
            category=category,
            code="boom",
            message="It went wrong.",
            retryable=retryable,
            detail="trace",
            retry_after=retry_after,
        )
        if g.status is not GenerationStatus.PROCESSING:
            self.refused(lambda: g.fail(failure, now=self.now, policy=self.policy))
            return
        attempts = g.attempts
        g.fail(failure, now=self.now, policy=self.policy)
        assert g.attempts == attempts, "a failure is not an extra attempt"
        assert (g.error_category, g.error_code, g.error_message, g.error_detail) == (
            category,
            "boom",
            "It went wrong.",
            "trace",
        )
        assert g.lease_expires_at is None
        if retryable and attempts < self.policy.max_attempts:
            assert g.status is GenerationStatus.PENDING
            assert g.next_attempt_at is not None
            assert g.next_attempt_at > self.now
            assert g.enqueued_at is None, "a scheduled retry must be handed to the queue again"
            low, high = backoff_band(self.policy, attempts)
            if retry_after is not None:
                low, high = max(low, retry_after), max(high, retry_after)
            delay = g.next_attempt_at - self.now
            assert delay >= timedelta(seconds=low) - TOLERANCE
            assert delay <= timedelta(seconds=high) + TOLERANCE
        else:
            assert g.status is GenerationStatus.FAILED
            assert g.next_attempt_at is None
            self.became_final()

    @rule()
    def expire_lease(self) -> None:
        g = self.generation
        expired = g.lease_expires_at is not None and g.lease_expires_at <= self.now
        if g.status is not GenerationStatus.PROCESSING or not expired:
            self.refused(lambda: g.expire_lease(now=self.now, policy=self.policy))
            return
        attempts = g.attempts
        g.expire_lease(now=self.now, policy=self.policy)
        assert g.attempts == attempts
        assert g.error_category is ErrorCategory.SYSTEM
        assert g.error_code == "worker_lost"
        if attempts < self.policy.max_attempts:
            assert g.status is GenerationStatus.PENDING
            assert g.next_attempt_at is not None
            # Given back at once: a lost worker is not the job's fault, so no backoff.
            assert g.next_attempt_at == self.now
        else:
            assert g.status is GenerationStatus.FAILED
            self.became_final()

    # -- invariants

    @invariant()
    def attempts_never_exceed_the_policy(self) -> None:
        assert 0 <= self.generation.attempts <= self.policy.max_attempts

    @invariant()
    def a_finished_generation_never_changes_again(self) -> None:
        if self.finished is not None:
            assert self.generation == self.finished

    @invariant()
    def a_lease_exactly_while_processing(self) -> None:
        g = self.generation
        assert (g.status is GenerationStatus.PROCESSING) == (g.lease_expires_at is not None)

    @invariant()
    def pending_means_attempts_remain(self) -> None:
        g = self.generation
        if g.status is GenerationStatus.PENDING:
            assert g.attempts < self.policy.max_attempts
            assert g.next_attempt_at is not None
            assert g.audio_key is None

    @invariant()
    def only_a_completed_generation_has_audio(self) -> None:
        g = self.generation
        assert (g.audio_key is not None) == (g.status is GenerationStatus.COMPLETED)


GenerationLifecycle.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestGenerationLifecycle = GenerationLifecycle.TestCase


def test_a_generation_starts_pending_and_due() -> None:
    g = new_generation()
    assert g.status is GenerationStatus.PENDING
    assert (g.attempts, g.version) == (0, 0)
    assert g.is_due(START)
    assert not g.is_finished


def test_a_retry_cannot_be_claimed_before_it_is_due() -> None:
    g = new_generation()
    g.claim(START, timedelta(minutes=5))
    failure = Failure(ErrorCategory.PROVIDER, "busy", "Busy.", retryable=True, retry_after=600)
    g.fail(failure, now=START, policy=RetryPolicy())
    assert g.next_attempt_at == START + timedelta(seconds=600)
    with pytest.raises(IllegalTransition):
        g.claim(START + timedelta(seconds=599), timedelta(minutes=5))
    assert g.claim(START + timedelta(seconds=600), timedelta(minutes=5)) == 2


def test_a_lease_that_has_not_run_out_cannot_be_taken_back() -> None:
    g = new_generation()
    g.claim(START, timedelta(seconds=300))
    with pytest.raises(IllegalTransition):
        g.expire_lease(now=START + timedelta(seconds=299), policy=RetryPolicy())
    g.expire_lease(now=START + timedelta(seconds=300), policy=RetryPolicy())
    assert g.status is GenerationStatus.PENDING


def test_the_last_attempt_failing_retryably_still_fails_for_good() -> None:
    policy = RetryPolicy(max_attempts=2)
    g = new_generation()
    retryable = Failure(ErrorCategory.PROVIDER, "busy", "Busy.", retryable=True)
    g.claim(START, timedelta(minutes=5))
    g.fail(retryable, now=START, policy=policy)
    assert g.status is GenerationStatus.PENDING
    assert g.next_attempt_at is not None
    g.claim(g.next_attempt_at, timedelta(minutes=5))
    g.fail(retryable, now=g.next_attempt_at or START, policy=policy)
    assert g.status is GenerationStatus.FAILED
    assert g.attempts == 2


# --- the retry policy ----------------------------------------------------------------

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 10),
    base_seconds=st.one_of(st.just(0.0), st.floats(0.5, 600.0)),
    factor=st.floats(1.0, 10.0),
    cap_seconds=st.floats(1.0, 7 * 24 * 3600.0),
    jitter=st.floats(0.0, 0.5),
)


@given(policy=policies, attempt=st.integers(1, 5000), seed=st.integers(0, 2**32))
def test_a_delay_stays_in_the_jitter_band_around_the_capped_exponential(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    low, high = backoff_band(policy, attempt)
    delay = policy.delay(attempt, rng=random.Random(seed)).total_seconds()
    assert low - 1e-3 <= delay <= high + 1e-3
    assert 1.0 <= delay <= max(1.0, policy.cap_seconds * (1 + policy.jitter)) + 1e-3


@given(policy=policies, attempt=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_for_the_same_draw_a_later_attempt_never_waits_less(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    this = policy.delay(attempt, rng=random.Random(seed))
    later = policy.delay(attempt + 1, rng=random.Random(seed))
    assert later >= this


def test_average_delays_grow_by_the_factor_until_the_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=30, factor=4, cap_seconds=6 * 3600)
    means = []
    for attempt in range(1, 9):
        rng = random.Random(7)
        draws = [policy.delay(attempt, rng=rng).total_seconds() for _ in range(400)]
        means.append(sum(draws) / len(draws))
    assert means == sorted(means)
    for earlier, later in itertools.pairwise(means[:5]):
        assert later == pytest.approx(earlier * 4, rel=1e-6)  # same draws, 4x the base
    assert means[0] == pytest.approx(30, rel=0.05)  # jitter averages out
    assert means[5] == means[6] == means[7] == pytest.approx(6 * 3600, rel=0.05)


def test_without_jitter_the_delays_are_exact() -> None:
    policy = RetryPolicy(base_seconds=30, factor=4, cap_seconds=3600, jitter=0)
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [30, 120, 480, 1920, 3600]
    assert RetryPolicy(base_seconds=0, jitter=0).delay(1) == timedelta(seconds=1)


def test_jitter_spreads_retries_out() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    delays = {policy.delay(3, rng=rng) for _ in range(50)}
    assert len(delays) > 40
    assert min(delays) >= timedelta(seconds=480 * 0.8)
    assert max(delays) <= timedelta(seconds=480 * 1.2)


# --- the text to speak ---------------------------------------------------------------

WHITESPACE = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2003\u2009\u2028\u2029\u202f\u205f\u3000"
blanks = st.text(alphabet=WHITESPACE, max_size=20)
# Something to say: no control character (refused on its own) and not only invisible ones.
spoken = (
    st.text(st.characters(exclude_categories=["Cc"]), min_size=1, max_size=120)
    .map(str.strip)
    .filter(lambda text: not is_blank(text))
)


@given(text=blanks, max_length=st.integers(0, 10_000))
def test_blank_text_is_refused(text: str, max_length: int) -> None:
    with pytest.raises(ValidationError) as error:
        clean_text(text, max_length=max_length)
    assert error.value.code == "text_blank"
    assert error.value.category is ErrorCategory.VALIDATION


@given(core=spoken, before=blanks, after=blanks)
def test_text_is_stripped_and_may_be_exactly_as_long_as_the_limit(
    core: str, before: str, after: str
) -> None:
    assert clean_text(before + core + after, max_length=len(core)) == core
    assert clean_text(core, max_length=len(core) + 1000) == core


@given(core=spoken, before=blanks, after=blanks, over=st.integers(1, 50))
def test_text_over_the_limit_is_refused_whatever_the_padding(
    core: str, before: str, after: str, over: int
) -> None:
    limit = max(0, len(core) - over)  # always below the length: `core` is not empty
    with pytest.raises(ValidationError) as error:
        clean_text(before + core + after, max_length=limit)
    assert error.value.code == "text_too_long"
    assert str(len(core)) in error.value.message
    assert str(limit) in error.value.message


@given(text=st.text(max_size=200))
def test_cleaning_is_idempotent(text: str) -> None:
    try:
        once = clean_text(text, max_length=200)
    except ValidationError:
        return
    assert clean_text(once, max_length=len(once)) == once
    assert once
    assert once == once.strip()


# --- public codes --------------------------------------------------------------------

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def test_public_codes_are_url_safe_16_characters_and_unique() -> None:
    codes = [new_public_code() for _ in range(20_000)]
    assert all(len(code) == 16 and URL_SAFE.match(code) for code in codes)
    assert all(is_well_formed_public_code(code) for code in codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    "code",
    ["", "short", "a" * 7, "a" * 65, "abc/defgh1234567", "abc+defgh1234567", "abcdefgh12345678=",
     "abcdefgh 1234567", "../../etc/passwd", "abcdéfgh12345678"],
)  # fmt: skip
def test_malformed_codes_are_recognised(code: str) -> None:
    assert not is_well_formed_public_code(code)


@given(code=st.text(alphabet=st.sampled_from("Az09-_"), min_size=8, max_size=64))
def test_codes_of_url_safe_characters_and_sane_length_are_well_formed(code: str) -> None:
    assert is_well_formed_public_code(code)


# --- ids -----------------------------------------------------------------------------


def unix_ms(value: UUID) -> int:
    return value.int >> 80


@given(ms=st.integers(0, 2**48 - 1))
def test_uuid7_has_version_7_the_rfc_variant_and_the_given_time(ms: int) -> None:
    value = uuid7(ms)
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"
    assert unix_ms(value) == ms


@given(first=st.integers(0, 2**48 - 2), gap=st.integers(1, 10**9))
def test_uuid7_sorts_by_time(first: int, gap: int) -> None:
    second = min(first + gap, 2**48 - 1)
    assert uuid7(first) < uuid7(second)
    assert str(uuid7(first)) < str(uuid7(second))  # also as text, as the database sorts it


def test_uuid7_uses_the_current_time_and_never_repeats() -> None:
    before = time.time_ns() // 1_000_000
    values = [uuid7() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    assert all(before <= unix_ms(v) <= after for v in values)
    assert len(set(values)) == len(values)
    same_ms = {uuid7(1_700_000_000_000) for _ in range(1000)}
    assert len(same_ms) == 1000


def test_uuid7_made_one_after_another_only_increase_also_within_a_millisecond() -> None:
    values = [uuid7() for _ in range(5000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert len({unix_ms(v) for v in values}) < len(values)  # many shared a millisecond
    assert all(v.version == 7 and v.variant == "specified in RFC 4122" for v in values)


def test_uuid7_borrows_the_next_millisecond_when_one_runs_out_of_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voiceqr.domain.shared import ids

    future = time.time_ns() // 1_000_000 + 60_000
    monkeypatch.setattr(ids, "_last", (future, 2**74 - 1))
    value = uuid7()
    assert unix_ms(value) == future + 1
    assert value.version == 7


def test_a_forked_process_makes_other_ids_than_its_parent() -> None:
    """Random bits are read ahead from the OS; a child of fork must not reuse the ones its
    parent read, or both would make the same id in the same millisecond."""
    import multiprocessing

    uuid7(1_700_000_000_000)  # the parent has bits read ahead now
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        child = pool.apply(uuid7, (1_700_000_000_000,))
    parent = uuid7(1_700_000_000_000)
    assert child != parent


def test_ids_made_on_many_threads_at_once_never_repeat() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as threads:
        batches = list(threads.map(lambda _: [uuid7() for _ in range(2000)], range(8)))
    made = [value for batch in batches for value in batch]
    assert len(set(made)) == len(made)


# --- accounts ------------------------------------------------------------------------

local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+_-",
                      min_size=1, max_size=40)  # fmt: skip
labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
                 min_size=1, max_size=30)  # fmt: skip


@given(local=local_parts, domain=labels, tld=labels, pad=st.text(alphabet=" \t", max_size=3))
def test_an_email_is_trimmed_and_lowercased(local: str, domain: str, tld: str, pad: str) -> None:
    address = f"{pad}{local}@{domain}.{tld}{pad}"
    normalized = normalize_email(address)
    assert normalized == f"{local}@{domain}.{tld}".lower()
    assert normalize_email(normalized) == normalized


@pytest.mark.parametrize(
    "address",
    ["", "   ", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com",
     "ann@exa mple.com", "an n@example.com", "ann@example.com@x.org",
     "a" * 250 + "@example.com"],
)  # fmt: skip
def test_things_that_are_not_email_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as error:
        normalize_email(address)
    assert error.value.code == "email_invalid"


def test_the_longest_allowed_email_is_254_characters() -> None:
    longest = "a" * 242 + "@example.com"
    assert len(longest) == 254
    assert normalize_email(longest) == longest
    with pytest.raises(ValidationError):
        normalize_email("a" + longest)


@given(password=st.text(min_size=MIN_PASSWORD_LENGTH, max_size=MAX_PASSWORD_LENGTH))
def test_any_uncommon_password_of_allowed_length_is_accepted_as_typed(password: str) -> None:
    assume(not is_common_password(password))
    check_password(password)


@pytest.mark.parametrize("password", ["password", "12345678", "Iloveyou", "QWERTYUIOP"])
def test_the_most_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    with pytest.raises(ValidationError) as error:
        check_password(password)
    assert error.value.code == "password_common"


def test_a_long_uncommon_password_with_spaces_is_accepted_exactly_as_typed() -> None:
    check_password("  correct horse battery staple  ")
    check_password("ü" * 8)


@given(password=st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_a_short_password_is_refused(password: str) -> None:
    with pytest.raises(ValidationError) as error:
        check_password(password)
    assert error.value.code == "password_too_short"


def test_password_length_limits() -> None:
    check_password(" " * MIN_PASSWORD_LENGTH)  # no composition rules, no trimming
    check_password("x" * MAX_PASSWORD_LENGTH)
    with pytest.raises(ValidationError) as error:
        check_password("x" * (MAX_PASSWORD_LENGTH + 1))
    assert error.value.code == "password_too_long"
    with pytest.raises(ValidationError) as short:
        check_password("  seven")
    assert short.value.code == "password_too_short"
