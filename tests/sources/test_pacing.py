"""Tests for avenrich.sources.pacing: header parsing, spacing on a fake clock, the in-flight cap."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from avenrich.config import Limits, crossref_limits
from avenrich.sources.pacing import Pacer, RateHint, parse_rate_headers


class FakeTime:
    """A clock whose sleep() advances it, recording every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def starts_of(pacer: Pacer, fake: FakeTime, kinds: list[str]) -> list[tuple[str, float]]:
    """Take a slot for each kind in turn; return (kind, start time) pairs."""
    starts = []
    for kind in kinds:
        with pacer.slot(kind):
            starts.append((kind, fake.now))
    return starts


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most starts in any half-open window [t, t + window)."""
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


@pytest.mark.parametrize(
    ("kind", "headers", "expected"),
    [
        (
            "single",
            {
                "x-api-pool": "polite-single",
                "x-rate-limit-limit": "10",
                "x-rate-limit-interval": "1s",
                "x-concurrency-limit": "3",
            },
            RateHint("single", 10.0, 3),
        ),
        (
            "list",
            {
                "x-api-pool": "polite-array",
                "x-rate-limit-limit": "3",
                "x-rate-limit-interval": "1s",
                "x-concurrency-limit": "3",
            },
            RateHint("list", 3.0, 3),
        ),
        (
            "single",
            {
                "X-Api-Pool": "public",
                "X-Rate-Limit-Limit": "5",
                "X-Rate-Limit-Interval": "1s",
                "X-Concurrency-Limit": "1",
            },
            RateHint("total", 5.0, 1),
        ),
        ("list", {"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"}, RateHint("list", 50.0, None)),
        ("list", {"x-api-pool": "plus", "x-rate-limit-limit": "150"}, RateHint("total", 150.0, None)),
        (
            "single",
            {"x-rate-limit-limit": "10", "x-rate-limit-interval": "2s"},
            RateHint("single", 5.0, None),
        ),
        (
            "single",
            {"x-rate-limit-limit": "1", "x-rate-limit-interval": "500ms"},
            RateHint("single", 2.0, None),
        ),
        ("single", {"x-concurrency-limit": "2"}, RateHint("single", None, 2)),
        ("single", {}, None),
        ("single", {"content-type": "application/json"}, None),
        ("single", {"x-rate-limit-limit": "lots", "x-concurrency-limit": "-1"}, None),
        ("single", {"x-rate-limit-limit": "10", "x-rate-limit-interval": "soon"}, None),
    ],
)
def test_parse_rate_headers(kind, headers, expected):
    """Crossref's headers become a hint for the kind (suffixed pool) or the total (shared pool)."""
    assert parse_rate_headers(kind, headers) == expected


def test_single_requests_are_spaced_by_the_single_rate():
    """Ten single requests at 10/s start at least 0.1 s apart, never more than 10 in a second."""
    fake = FakeTime()
    pacer = Pacer(Limits(10.0, 3.0, 3), clock=fake.clock, sleep=fake.sleep)
    times = [t for _, t in starts_of(pacer, fake, ["single"] * 25)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.1
    assert max_in_window(times) <= 10
    assert fake.sleeps[0] == pytest.approx(pacer.interval("single"))


def test_kinds_have_separate_spacing():
    """A list request does not wait behind single ones (separate pools), but lists keep their own pace."""
    fake = FakeTime()
    pacer = Pacer(Limits(10.0, 3.0, 3), clock=fake.clock, sleep=fake.sleep)
    starts = starts_of(pacer, fake, ["list", "single", "single", "list", "single", "list"])
    lists = [t for k, t in starts if k == "list"]
    singles = [t for k, t in starts if k == "single"]
    assert min(b - a for a, b in itertools.pairwise(lists)) >= 1 / 3
    assert min(b - a for a, b in itertools.pairwise(singles)) >= 0.1
    assert max_in_window(lists) <= 3
    assert starts[1][1] == starts[0][1]  # the first single did not wait for the list pace


def test_total_ceiling_spaces_all_kinds_together():
    """With AVENRICH_CROSSREF_RPS=2 every request, whatever its kind, starts at least 0.5 s after the last."""
    fake = FakeTime()
    pacer = Pacer(crossref_limits(True, 2.0), clock=fake.clock, sleep=fake.sleep)
    times = [t for _, t in starts_of(pacer, fake, ["single", "list"] * 6)]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.5
    assert max_in_window(times) <= 2


def test_no_wait_when_requests_are_already_slow():
    """A request that comes after the interval has passed starts at once."""
    fake = FakeTime()
    pacer = Pacer(Limits(1.0, 1.0, 1), clock=fake.clock, sleep=fake.sleep)
    with pacer.slot("single"):
        pass
    fake.now += 5
    with pacer.slot("single"):
        pass
    assert fake.sleeps == []


def test_headers_tighten_but_never_loosen_beyond_configuration():
    """A pool announcing 5/s slows us to 5/s; one announcing 150/s leaves us at the configured 10/s."""
    fake = FakeTime()
    pacer = Pacer(Limits(10.0, 3.0, 3), clock=fake.clock, sleep=fake.sleep)
    pacer.update_from_headers(
        "single",
        {
            "x-api-pool": "public-single",
            "x-rate-limit-limit": "5",
            "x-rate-limit-interval": "1s",
            "x-concurrency-limit": "1",
        },
    )
    assert pacer.rps("single") == 5.0 and pacer.concurrency("single") == 1
    assert pacer.rps("list") == 3.0 and pacer.concurrency("list") == 3
    times = [t for _, t in starts_of(pacer, fake, ["single"] * 11)]
    assert max_in_window(times) <= 5
    pacer.update_from_headers(
        "single", {"x-api-pool": "plus-single", "x-rate-limit-limit": "150", "x-concurrency-limit": "50"}
    )
    assert pacer.rps("single") == 10.0 and pacer.concurrency("single") == 3


def test_shared_pool_headers_limit_the_total():
    """An unsuffixed pool (`public`, 5/s, 1 in flight) limits every kind together."""
    pacer = Pacer(Limits(10.0, 3.0, 3))
    pacer.update_from_headers(
        "list",
        {
            "x-api-pool": "public",
            "x-rate-limit-limit": "5",
            "x-rate-limit-interval": "1s",
            "x-concurrency-limit": "1",
        },
    )
    assert pacer.rps("total") == 5.0 and pacer.concurrency("total") == 1
    assert pacer.rps("list") == 3.0


def test_unknown_kind_is_refused():
    """Only "single" and "list" exist, so a typo cannot create an unpaced kind."""
    pacer = Pacer(Limits(1.0, 1.0, 1))
    with pytest.raises(ValueError, match="unknown request kind"), pacer.slot("batch"):
        pass


@pytest.mark.parametrize(("cap", "announced"), [(2, None), (3, "1")])
def test_in_flight_cap_holds_across_threads(cap, announced):
    """Eight threads never have more requests in flight than the (possibly announced) cap."""
    pacer = Pacer(Limits(10_000.0, 10_000.0, cap))
    if announced:
        pacer.update_from_headers("single", {"x-api-pool": "polite-single", "x-concurrency-limit": announced})
    in_flight = 0
    highest = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal in_flight, highest
        with pacer.slot("single"):
            with lock:
                in_flight += 1
                highest = max(highest, in_flight)
            time.sleep(0.01)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert highest == (int(announced) if announced else cap)


def test_slot_is_released_when_the_request_fails():
    """An exception inside the slot frees it, so a failing request cannot block the source forever."""
    pacer = Pacer(Limits(10_000.0, 10_000.0, 1))
    with pytest.raises(RuntimeError), pacer.slot("single"):
        raise RuntimeError("boom")
    done = threading.Event()

    def take() -> None:
        with pacer.slot("single"):
            done.set()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(timeout=5)
    assert done.is_set()


def test_refund_gives_back_the_start_time():
    """A refunded slot leaves the next start as if the request never happened; later bookings are kept."""
    fake = FakeTime()
    pacer = Pacer(Limits(1.0, 1.0, 1), clock=fake.clock, sleep=fake.sleep)
    with pacer.slot("single") as slot:
        slot.refund()
    with pacer.slot("single"):
        pass
    assert fake.sleeps == []
    with pacer.slot("single"):
        pass
    assert fake.sleeps == [pytest.approx(pacer.interval("single"))]
