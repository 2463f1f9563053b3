"""Tests for avenrich.sources.http: client set-up, retries, Retry-After, errors, circuit breaker."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from avenrich import __version__
from avenrich.config import Limits, Settings
from avenrich.errors import RateLimited, SourceError, SourceUnavailable
from avenrich.sources.http import (
    Reply,
    RequestStats,
    RetryPolicy,
    SourceClient,
    describe_connect_error,
    make_client,
    parse_retry_after,
    redact,
    user_agent,
)
from avenrich.sources.pacing import Pacer

BASE = "https://api.example.org/v1"
SENTINEL = "SENTINEL-KEY-0123456789abcdef"
Handler = Callable[[httpx.Request], httpx.Response]


def shown_chain(error: BaseException) -> list[BaseException]:
    """The exceptions a traceback would print after this one (causes and unsuppressed contexts)."""
    chain = []
    current: BaseException | None = error
    while current is not None:
        nxt = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        if nxt is not None:
            chain.append(nxt)
        current = nxt
    return chain


class Recorder:
    """Serves a list of responses/exceptions in order (the last one repeats) and records the requests."""

    def __init__(self, *answers: httpx.Response | Exception | int | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer, json={"ok": answer < 400})
        if isinstance(answer, httpx.Response):
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return answer(request)


def make(
    handler: Handler,
    *,
    waits: list[float] | None = None,
    policy: RetryPolicy | None = None,
    unreachable_after: int = 3,
    headers: dict[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    pacer: Pacer | None = None,
) -> SourceClient:
    """A SourceClient over a MockTransport, with zero waits recorded in `waits`."""
    recorded = waits if waits is not None else []
    policy = policy or RetryPolicy(jitter=0.0, sleep=recorded.append)
    client = make_client(Settings(mailto="me@example.org"), httpx.MockTransport(handler))
    return SourceClient(
        "crossref",
        BASE,
        client,
        pacer or Pacer(Limits(1000.0, 1000.0, 3)),
        policy,
        RequestStats(),
        headers,
        secrets,
        unreachable_after=unreachable_after,
    )


@pytest.mark.parametrize(
    ("mailto", "expected"),
    [
        (
            "me@example.org",
            f"avenrich/{__version__} (https://github.com/avenrich/avenrich; mailto:me@example.org)",
        ),
        (None, f"avenrich/{__version__} (https://github.com/avenrich/avenrich)"),
    ],
)
def test_user_agent_names_project_version_and_contact(mailto, expected):
    """The User-Agent carries the mailto only when one is configured."""
    assert user_agent(mailto) == expected


def test_make_client_sets_timeouts_redirects_and_user_agent():
    """Timeouts come from the settings; redirects are followed a few times at most."""
    settings = Settings(mailto="me@example.org", connect_timeout=2.5, read_timeout=12.0)
    client = make_client(settings)
    try:
        assert client.timeout.connect == 2.5 and client.timeout.read == 12.0
        assert client.follow_redirects is True and 1 <= client.max_redirects <= 5
        assert "mailto:me@example.org" in client.headers["user-agent"]
    finally:
        client.close()


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [
        (1, None, 1.0),
        (2, None, 2.0),
        (3, None, 4.0),
        (8, None, 60.0),
        (1, 7.0, 7.0),
        (3, 0.0, 0.0),
        (1, 500.0, 60.0),
    ],
)
def test_backoff_doubles_and_honours_retry_after(attempt, retry_after, expected):
    """Exponential backoff capped at max_wait; Retry-After replaces it (also capped)."""
    assert RetryPolicy(jitter=0.0).backoff(attempt, retry_after) == expected


def test_backoff_jitter_stays_within_bounds():
    """Jitter adds at most `jitter` seconds."""
    policy = RetryPolicy(jitter=1.0, random=lambda: 0.999)
    assert 2.0 < policy.backoff(2) < 3.0


NOW = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("2.5", 2.5),
        (format_datetime(NOW + timedelta(seconds=10), usegmt=True), 10.0),
        (format_datetime(NOW - timedelta(seconds=10), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    """Retry-After as seconds or an HTTP date; nonsense is ignored."""
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "DNS failure"),
        (httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), "DNS failure"),
        (httpx.ConnectTimeout("timed out"), "connect timeout"),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "network unreachable"),
        (httpx.ConnectError("something else"), "cannot connect"),
    ],
)
def test_describe_connect_error(exc, expected):
    """Connection failures get a short human reason."""
    assert describe_connect_error(exc) == expected


def test_redact_replaces_every_secret():
    """Secrets become *** wherever they appear; empty secrets are ignored."""
    assert redact(f"a {SENTINEL} b {SENTINEL}", (SENTINEL, "")) == "a *** b ***"


class TestReplies:
    """What a single answer becomes."""

    def test_json_success(self):
        """A 2xx with JSON is a Reply with the data and the URL asked."""
        recorder = Recorder(httpx.Response(200, json={"status": "ok"}))
        reply = make(recorder).get("/works", {"rows": 2, "filter": "doi:10.1/a"}, kind="list", endpoint="works")
        assert reply == Reply(200, {"status": "ok"}, f"{BASE}/works?rows=2&filter=doi%3A10.1%2Fa")
        request = recorder.requests[0]
        assert request.url.path == "/v1/works" and request.url.params["rows"] == "2"
        assert "mailto:me@example.org" in request.headers["user-agent"]

    def test_post_sends_json_body(self):
        """post() sends the body as JSON with the params in the query string."""
        recorder = Recorder(httpx.Response(200, json=[None]))
        reply = make(recorder).post("/paper/batch", {"fields": "title"}, {"ids": ["x"]}, kind="list", endpoint="b")
        assert reply.data == [None]
        assert json.loads(recorder.requests[0].content) == {"ids": ["x"]}
        assert recorder.requests[0].url.params["fields"] == "title"

    @pytest.mark.parametrize(
        ("response", "data", "text"),
        [
            (
                httpx.Response(404, text="Resource not found.", headers={"content-type": "text/plain"}),
                None,
                "Resource not found.",
            ),
            (
                httpx.Response(404, json={"error": "Title match not found"}),
                {"error": "Title match not found"},
                "",
            ),
        ],
    )
    def test_404_is_data(self, response, data, text):
        """Not-found is an answer, not an error: no retry, the body kept as data or text."""
        waits: list[float] = []
        recorder = Recorder(response)
        reply = make(recorder, waits=waits).get("/works/10.1/x", kind="single", endpoint="works/doi")
        assert (reply.status, reply.data, reply.text) == (404, data, text)
        assert len(recorder.requests) == 1 and waits == []

    def test_relative_redirect_is_followed(self):
        """Crossref's 301 with a relative Location (aliased DOI) leads to the record."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/works/10.1/alias"):
                return httpx.Response(301, headers={"location": "/v1/works/10.1/canonical"})
            return httpx.Response(200, json={"doi": request.url.path})

        client = make(handler)
        reply = client.get("/works/10.1/alias", kind="single", endpoint="works/doi")
        assert reply.data == {"doi": "/v1/works/10.1/canonical"}
        assert reply.url.endswith("/works/10.1/canonical")
        assert client.stats.as_dict()["crossref"]["works/doi"]["requests"] == 2  # each hop is paced and counted

    def test_redirect_to_another_host_is_refused(self):
        """A redirect off the source's host is not followed, so the key cannot travel elsewhere."""
        recorder = Recorder(httpx.Response(301, headers={"location": "https://elsewhere.example.com/x"}))
        client = make(recorder, headers={"x-api-key": SENTINEL}, secrets=(SENTINEL,))
        with pytest.raises(SourceError, match="redirect to another host"):
            client.get("/paper/x", kind="single", endpoint="p")
        assert [r.url.host for r in recorder.requests] == ["api.example.org"]

    def test_redirect_loop_is_an_error(self):
        """Endless redirects end in a SourceError, not a hang."""
        recorder = Recorder(httpx.Response(301, headers={"location": "/v1/works/again"}))
        with pytest.raises(SourceError):
            make(recorder).get("/works/again", kind="single", endpoint="works/doi")
        assert len(recorder.requests) <= 5


class TestRetries:
    """Which failures are retried, how long we wait, and what is left when we give up."""

    def test_429_then_200(self):
        """A 429 is retried after its Retry-After; stats count the request, the retry and the 429."""
        waits: list[float] = []
        recorder = Recorder(httpx.Response(429, headers={"retry-after": "3"}), httpx.Response(200, json={}))
        client = make(recorder, waits=waits)
        assert client.get("/works", kind="list", endpoint="works").status == 200
        assert waits == [3.0]
        row = client.stats.as_dict()["crossref"]["works"]
        assert row["requests"] == 2 and row["retries"] == 1 and row["rate_limited"] == 1 and row["errors"] == 0

    def test_503_storm_then_success(self):
        """Three 503s are retried with doubling waits, then the answer comes through."""
        waits: list[float] = []
        recorder = Recorder(503, 503, 503, httpx.Response(200, json={"fine": True}))
        assert make(recorder, waits=waits).get("/works", kind="list", endpoint="w").data == {"fine": True}
        assert waits == [1.0, 2.0, 4.0]

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors_give_up_after_max_attempts(self, status):
        """A server that keeps failing costs max_attempts requests, then one SourceError with the status."""
        waits: list[float] = []
        recorder = Recorder(status)
        client = make(recorder, waits=waits)
        with pytest.raises(SourceError) as caught:
            client.get("/works", kind="list", endpoint="w")
        assert not isinstance(caught.value, (RateLimited, SourceUnavailable))
        assert caught.value.status == status and "after 4 attempts" in str(caught.value)
        assert len(recorder.requests) == 4 and waits == [1.0, 2.0, 4.0]
        assert client.stats.totals()["crossref"]["errors"] == 1

    def test_endless_429_is_rate_limited(self):
        """A source that never stops answering 429 raises RateLimited."""
        with pytest.raises(RateLimited) as caught:
            make(Recorder(429)).get("/works", kind="list", endpoint="w")
        assert caught.value.status == 429

    @pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("120", 60.0), ("0", 0.0)])
    def test_retry_after_is_honoured_and_capped(self, header, expected):
        """Retry-After sets the wait, up to max_wait."""
        waits: list[float] = []
        recorder = Recorder(httpx.Response(503, headers={"retry-after": header}), 200)
        make(recorder, waits=waits).get("/works", kind="list", endpoint="w")
        assert waits == [expected]

    def test_retry_after_http_date(self):
        """An HTTP-date Retry-After waits until that moment."""
        waits: list[float] = []
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
        make(Recorder(httpx.Response(429, headers={"retry-after": when}), 200), waits=waits).get(
            "/works", kind="list", endpoint="w"
        )
        assert len(waits) == 1 and 25.0 <= waits[0] <= 30.0

    def test_total_wait_cap_stops_early(self):
        """No retry starts once the waits would pass total_wait (1 + 2 + 4 > 5)."""
        waits: list[float] = []
        policy = RetryPolicy(max_attempts=10, jitter=0.0, total_wait=5.0, sleep=waits.append)
        recorder = Recorder(503)
        with pytest.raises(SourceError):
            make(recorder, policy=policy).get("/works", kind="list", endpoint="w")
        assert waits == [1.0, 2.0] and len(recorder.requests) == 3

    @pytest.mark.parametrize("status", [400, 401, 403, 422])
    def test_client_errors_are_not_retried(self, status):
        """400/401/403 fail at once with the status and the start of the body."""
        waits: list[float] = []
        recorder = Recorder(httpx.Response(status, json={"message": "Forbidden" if status == 403 else "bad"}))
        client = make(recorder, waits=waits)
        with pytest.raises(SourceError) as caught:
            client.get("/works", {"sample": 200}, kind="list", endpoint="w")
        assert caught.value.status == status and f"HTTP {status}" in str(caught.value)
        assert len(recorder.requests) == 1 and waits == []
        assert client.stats.totals()["crossref"]["errors"] == 1

    def test_truncated_json_is_retried(self):
        """A 200 whose body is cut short is retried like a 5xx."""
        waits: list[float] = []
        cut = httpx.Response(200, content=b'{"status": "ok", "mess', headers={"content-type": "application/json"})
        recorder = Recorder(cut, httpx.Response(200, json={"status": "ok"}))
        assert make(recorder, waits=waits).get("/works", kind="list", endpoint="w").data == {"status": "ok"}
        assert waits == [1.0]

    def test_always_malformed_json_gives_up(self):
        """A body that is never valid JSON ends in a SourceError that says so."""
        with pytest.raises(SourceError, match="not valid JSON"):
            make(Recorder(httpx.Response(200, content=b"<html>oops"))).get("/works", kind="list", endpoint="w")

    @pytest.mark.parametrize("exc", [httpx.ReadTimeout("read timed out"), httpx.RemoteProtocolError("peer closed")])
    def test_transport_errors_are_retried(self, exc):
        """A timeout or a dropped connection is retried with backoff."""
        waits: list[float] = []
        recorder = Recorder(exc, httpx.Response(200, json={}))
        assert make(recorder, waits=waits).get("/works", kind="list", endpoint="w").status == 200
        assert waits == [1.0]

    def test_response_headers_tighten_the_pacer(self):
        """Every response's rate-limit headers reach the pacer."""
        pacer = Pacer(Limits(10.0, 3.0, 3))
        headers = {
            "x-api-pool": "public-single",
            "x-rate-limit-limit": "5",
            "x-rate-limit-interval": "1s",
            "x-concurrency-limit": "1",
        }
        make(Recorder(httpx.Response(200, json={}, headers=headers)), pacer=pacer).get(
            "/works/x", kind="single", endpoint="w"
        )
        assert pacer.rps("single") == 5.0 and pacer.concurrency("single") == 1


class TestCircuitBreaker:
    """A source that does not answer at all is given up quickly, once, for the whole run."""

    def test_unreachable_source_is_skipped_after_a_few_failures(self):
        """Connection refused: 3 quick attempts in the first call, then SourceUnavailable, no network."""
        waits: list[float] = []
        recorder = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
        client = make(recorder, waits=waits)
        with pytest.raises(SourceUnavailable) as first:
            client.get("/works", kind="list", endpoint="w")
        assert len(recorder.requests) == 3 and waits == [0.25, 0.25]
        for _ in range(50):
            with pytest.raises(SourceUnavailable):
                client.get("/works/x", kind="single", endpoint="d")
        assert len(recorder.requests) == 3
        message = "crossref unreachable (connection refused): skipped for the rest of this run"
        assert client.unavailable_reason == message and first.value.message == message
        assert str(first.value) == f"crossref: {message}"
        assert client.stats.as_dict()["crossref"]["d"]["skipped"] == 50

    def test_breaker_can_span_calls(self):
        """With fewer connect attempts per call than the threshold, a later call opens the circuit."""
        recorder = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
        client = make(recorder, policy=RetryPolicy(connect_attempts=2, sleep=lambda s: None), unreachable_after=3)
        with pytest.raises(SourceError) as first:
            client.get("/works", kind="list", endpoint="w")
        assert not isinstance(first.value, SourceUnavailable)
        assert "failed after 2 attempts: connection refused" in str(first.value)
        with pytest.raises(SourceUnavailable):
            client.get("/works", kind="list", endpoint="w")
        assert len(recorder.requests) == 3

    def test_refused_connections_do_not_use_up_the_rate(self):
        """A request that never reached the server gives its start time back to the pacer."""
        clock = {"now": 0.0}
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            clock["now"] += seconds

        pacer = Pacer(Limits(1.0, 1.0, 1), clock=lambda: clock["now"], sleep=sleep)
        recorder = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
        with pytest.raises(SourceUnavailable):
            make(recorder, pacer=pacer, policy=RetryPolicy(connect_wait=0.0, sleep=lambda s: None)).get(
                "/works", kind="list", endpoint="w"
            )
        assert len(recorder.requests) == 3 and sleeps == []

    def test_dns_failure_is_named(self):
        """A DNS failure trips the breaker with its own reason."""
        client = make(Recorder(httpx.ConnectError("[Errno -2] Name or service not known")), unreachable_after=1)
        with pytest.raises(SourceUnavailable, match=r"crossref unreachable \(DNS failure\)"):
            client.get("/works", kind="list", endpoint="w")

    def test_answers_in_between_reset_the_count(self):
        """Only consecutive connection failures count: a source that answers now and then stays in use."""
        refused = httpx.ConnectError("[Errno 111] Connection refused")
        ok = httpx.Response(200, json={})
        recorder = Recorder(refused, ok, refused, ok, refused, ok, refused, ok)
        client = make(recorder)
        for _ in range(4):
            assert client.get("/works", kind="list", endpoint="w").status == 200
        assert client.unavailable_reason is None

    def test_timeouts_are_tried_twice_and_do_not_count_as_unreachable(self):
        """A timed-out request (each costs the read timeout) gets one retry; the source is not unreachable."""
        recorder = Recorder(httpx.ReadTimeout("slow"))
        client = make(recorder, unreachable_after=1)
        with pytest.raises(SourceError, match="failed after 2 attempts: timed out") as caught:
            client.get("/works", kind="list", endpoint="w")
        assert not isinstance(caught.value, SourceUnavailable) and client.unavailable_reason is None
        assert len(recorder.requests) == 2

    def test_an_outage_is_skipped_after_three_failed_calls(self):
        """Three calls in a row that fail after all their retries (503s) open the circuit too."""
        recorder = Recorder(503)
        client = make(recorder)
        for _ in range(2):
            with pytest.raises(SourceError) as caught:
                client.get("/works", kind="list", endpoint="w")
            assert not isinstance(caught.value, SourceUnavailable)
        with pytest.raises(SourceUnavailable) as third:
            client.get("/works", kind="list", endpoint="w")
        assert third.value.message == (
            "crossref keeps failing (HTTP 503 on 3 requests in a row): skipped for the rest of this run"
        )
        assert len(recorder.requests) == 12
        with pytest.raises(SourceUnavailable):
            client.get("/works", kind="list", endpoint="w")
        assert len(recorder.requests) == 12

    @pytest.mark.parametrize(
        "between",
        [httpx.Response(200, json={}), httpx.Response(404, text="nope"), httpx.Response(400, json={})],
    )
    def test_any_answer_resets_the_outage_count(self, between):
        """A success, a 404 or a 400 in between shows the source is up: failed calls must be consecutive."""
        recorder = Recorder(*([503] * 8), between, *([503] * 8), 200)
        client = make(recorder)
        for _ in range(2):
            with pytest.raises(SourceError):
                client.get("/works", kind="list", endpoint="w")
        try:
            client.get("/works", kind="list", endpoint="w")
        except SourceError as exc:
            assert not isinstance(exc, SourceUnavailable)
        for _ in range(2):
            with pytest.raises(SourceError) as caught:
                client.get("/works", kind="list", endpoint="w")
            assert not isinstance(caught.value, SourceUnavailable)
        assert client.unavailable_reason is None


class TestSecrets:
    """The API key never leaves the header."""

    def test_key_travels_only_in_the_header(self):
        """The key is in x-api-key, never in the URL."""
        recorder = Recorder(httpx.Response(200, json={}))
        make(recorder, headers={"x-api-key": SENTINEL}, secrets=(SENTINEL,)).get(
            "/paper/search", {"query": "x"}, kind="single", endpoint="s"
        )
        assert recorder.requests[0].headers["x-api-key"] == SENTINEL
        assert SENTINEL not in str(recorder.requests[0].url)

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(403, text=f'{{"message": "Forbidden key {SENTINEL}"}}'),
            httpx.Response(503, text=SENTINEL),
            httpx.ConnectError(f"refused while sending {SENTINEL}"),
        ],
    )
    def test_key_never_appears_in_errors_logs_or_stats(self, answer, caplog):
        """Even a server echoing the key leaves no trace of it in exceptions, logs or stats."""
        caplog.set_level(logging.DEBUG, logger="avenrich.sources")
        client = make(Recorder(answer), headers={"x-api-key": SENTINEL}, secrets=(SENTINEL,), unreachable_after=2)
        for _ in range(3):
            with pytest.raises(SourceError) as caught:
                client.get("/paper/batch", {"fields": "title"}, kind="list", endpoint="b")
            error = caught.value
            assert SENTINEL not in f"{error} {error!r} {error.url} {error.message} {error.args}"
            assert not [e for e in shown_chain(error) if isinstance(e, httpx.HTTPError)]
        assert SENTINEL not in caplog.text
        assert SENTINEL not in json.dumps(client.stats.as_dict())
        assert SENTINEL not in str(client.unavailable_reason)
        assert all(record.levelno <= logging.INFO for record in caplog.records)
