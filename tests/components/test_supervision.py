"""The back-off of the supervisor that starts a dead process again (bot.supervision)."""

from bot.supervision import Backoff


def test_the_pause_doubles_while_a_process_keeps_dying_and_is_capped() -> None:
    backoff = Backoff(first_s=0.5, longest_s=4.0, stable_s=60.0)
    assert [backoff.after_exit(1.0) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_process_that_ran_a_while_starts_its_count_afresh() -> None:
    backoff = Backoff(first_s=0.5, longest_s=30.0, stable_s=60.0)
    backoff.after_exit(1.0)
    backoff.after_exit(1.0)
    assert backoff.after_exit(120.0) == 0.5
