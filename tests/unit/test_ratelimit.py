from chatserver.domain.ratelimit import TokenBucket


def test_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=1.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]


def test_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=1, now=0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.2)
    assert bucket.take(0.6)
