"""How the next STT server is chosen, and how long a failed one rests, on a clock the test moves."""

from __future__ import annotations

from trainer_bot.speech.stt_servers import SttServers, transcriptions_endpoint


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def servers(*names: str, clock: Clock | None = None) -> SttServers:
    return SttServers([f"http://{name}:8000" for name in names], clock=clock or Clock())


def test_endpoints_with_and_without_v1() -> None:
    assert transcriptions_endpoint("http://a:8000/") == "http://a:8000/v1/audio/transcriptions"
    assert (
        transcriptions_endpoint("https://api.openai.com/v1")
        == "https://api.openai.com/v1/audio/transcriptions"
    )


def test_idle_servers_take_turns_and_a_busy_one_is_passed_over() -> None:
    pool = servers("a", "b", "c")
    a, b, c = pool.servers
    assert [pool.pick() for _ in range(4)] == [a, b, c, a]
    with pool.attempt(b), pool.attempt(b), pool.attempt(a):
        assert {pool.pick(), pool.pick()} == {c}
        assert pool.pick(exclude=[c]) == a
    assert a.in_flight == b.in_flight == 0


def test_a_failed_server_rests_then_one_request_probes_it() -> None:
    clock = Clock()
    pool = servers("a", "b", clock=clock)
    a, b = pool.servers
    pool.failed(a, "refused")
    assert [pool.pick() for _ in range(3)] == [b, b, b]
    assert pool.pick(exclude=[b]) is None
    clock.now += 30
    probe = pool.pick(exclude=[b])
    assert probe is a
    with pool.attempt(a):
        assert pool.pick(exclude=[b]) is None  # one probe at a time
        pool.succeeded(a)
    assert pool.pick(exclude=[b]) is a and a.failures == 0


def test_the_cool_down_doubles_while_probes_fail_up_to_its_limit() -> None:
    clock = Clock()
    pool = servers("a", "b", clock=clock)
    a = pool.servers[0]
    rests = []
    for _ in range(6):
        pool.failed(a, "timeout")
        rests.append(a.resting_until - clock.now)
        clock.now = a.resting_until
        assert pool.pick(exclude=[pool.servers[1]]) is a  # the probe, which fails again
    assert rests == [30, 60, 120, 240, 240, 240]


def test_late_failures_of_requests_sent_before_the_rest_do_not_lengthen_it() -> None:
    clock = Clock()
    pool = servers("a", "b", clock=clock)
    a = pool.servers[0]
    pool.failed(a, "reset")
    pool.failed(a, "reset")
    assert a.failures == 1 and a.resting_until == clock.now + 30


def test_a_cancelled_probe_leaves_the_next_request_to_probe() -> None:
    clock = Clock()
    pool = servers("a", "b", clock=clock)
    a, b = pool.servers
    pool.failed(a, "refused")
    clock.now += 30
    assert pool.pick(exclude=[b]) is a
    with pool.attempt(a):
        pass  # ended without an answer either way
    assert pool.pick(exclude=[b]) is a


def test_a_lone_server_never_rests() -> None:
    pool = servers("a")
    (a,) = pool.servers
    pool.failed(a, "refused")
    assert pool.pick() is a and a.failures == 0
