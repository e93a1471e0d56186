"""The text filter every request and edit passes before any speech is made.

    .venv/bin/python bench/text_filter.py [--staff-terms 2000] [--characters 5000] [--repeat 50]

Times `TextFilter.check` on a text of `--characters` characters (random words) with the
shipped word lists alone and with `--staff-terms` staff entries besides, p50 and p95
over `--repeat` runs, beside a naive check in the same run (every phrase compared at
every word of the normalised text, as a first version did), and the time to build the
filter (paid once per change of the staff's entries: the screening keeps the last one).
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable, Sequence

from voiceqr.bootstrap.word_lists import load_word_lists
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.normalise import normalise, normalised_forms, words
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind, TextFilter


def _random_words(rng: random.Random, count: int) -> list[str]:
    return [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
        for _ in range(count)
    ]


def _naive(terms: Sequence[FilterTerm]) -> Callable[[str], int]:
    phrases = [words(normalise(t.text)) for t in terms if t.kind is TermKind.TERM]

    def check(text: str) -> int:
        found = 0
        for form in normalised_forms(text):
            tokens = words(form)
            for phrase in phrases:
                size = len(phrase)
                found += any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))
        return found

    return check


def _timed(check: Callable[[str], object], text: str, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        check(text)
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return statistics.median(runs), runs[max(0, int(len(runs) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff-terms", type=int, default=2000)
    parser.add_argument("--characters", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(13)
    text = " ".join(_random_words(rng, args.characters // 4))[: args.characters]
    staff = [
        FilterTerm(
            TermKind.TERM,
            " ".join(_random_words(rng, rng.randint(1, 3))),
            FilterAction.FLAG,
            ReasonCode.SPAM,
            "staff",
        )
        for _ in range(args.staff_terms)
    ]
    shipped = load_word_lists()
    print(f"a {len(text)}-character text, {args.repeat} runs; times in ms (p50 / p95)")
    for name, terms in (
        (f"shipped lists ({len(shipped)} entries)", shipped),
        (f"shipped lists + {len(staff)} staff terms", (*shipped, *staff)),
    ):
        start = time.perf_counter()
        built = TextFilter(terms)
        build_ms = (time.perf_counter() - start) * 1000
        p50, p95 = _timed(built.check, text, args.repeat)
        naive50, naive95 = _timed(_naive(terms), text, max(3, args.repeat // 5))
        print(
            f"{name}: check {p50:.1f} / {p95:.1f}, naive {naive50:.1f} / {naive95:.1f} "
            f"({naive50 / p50:.0f}x), build {build_ms:.0f}"
        )


if __name__ == "__main__":
    main()
