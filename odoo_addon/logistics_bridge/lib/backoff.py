"""Retry scheduling for outbox events that failed to publish.

Pure functions, no ORM: the relay API feeds them numbers and stores what they answer.
"""
import random

BASE_DELAY_S = 2.0
MAX_DELAY_S = 3600.0


def next_delay(attempts, base=BASE_DELAY_S, cap=MAX_DELAY_S, jitter=0.1, rand=random.random):
    """Seconds to wait before the next publication attempt.

    ``attempts`` counts the failures so far, this one included (1 after the first failure).
    Exponential (base * 2**(attempts-1)), capped, with +/- ``jitter`` spread so that a burst of
    failures does not come back as a burst.
    """
    attempts = max(1, int(attempts))
    delay = min(cap, base * 2 ** min(attempts - 1, 62))
    return delay * (1 + jitter * (2 * rand() - 1))


def is_exhausted(attempts, max_attempts, permanent=False):
    """True when an event must go dead instead of being retried."""
    return bool(permanent) or attempts >= max_attempts
