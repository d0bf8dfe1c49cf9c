"""Settings shared by the suite's property-based tests (hypothesis)."""

from hypothesis import HealthCheck, settings

#: Derandomized (the same inputs on every run), no example database and no deadline: each example
#: is an HTTP round trip on a shared CI machine.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
