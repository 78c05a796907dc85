"""Progress lines: rate and time left from an injected clock, and how often lines come."""

import logging

import pytest

from tcgatl.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    "seconds, words",
    [(0.2, "under 1 s"), (45.4, "45 s"), (78, "1 min 18 s"), (3599, "59 min 59 s"), (7500, "2 h 5 min")],
)
def test_durations_read_as_words(seconds, words):
    assert duration(seconds) == words


def test_rate_and_time_left_from_the_average_so_far():
    clock = Clock()
    p = Progress(306, "interpolated images", clock=clock)
    clock.now += 20
    p.update(64)
    assert p.rate() == pytest.approx(3.2)
    assert p.left() == pytest.approx((306 - 64) / 3.2)
    assert p.status() == "64/306 interpolated images, 3.2 images/s, about 1 min 16 s left"
    clock.now += 75.625
    p.update(242)
    assert p.status() == "306/306 interpolated images in 1 min 36 s, 3.2 images/s"


@pytest.mark.parametrize(
    "total, unit, seconds, done, status",
    [
        # Slow items give the time per item.
        (50, "folds", 150, 2, "2/50 folds, 1 min 15 s per fold, about 1 h 0 min left"),
        # Fast items are counted without decimals.
        (100_000, "rows", 2, 25_000, "25,000/100,000 rows, 12,500 rows/s, about 6 s left"),
        (1000, "rows", 9.99, 999, "999/1,000 rows, 100 rows/s, under 1 s left"),
    ],
)
def test_status_reads_the_rate_and_time_left_in_words(total, unit, seconds, done, status):
    clock = Clock()
    p = Progress(total, unit, clock=clock)
    clock.now += seconds
    p.update(done)
    assert p.status() == status


def test_a_line_per_tenth_of_the_work_not_per_item(caplog):
    clock = Clock()
    log = logging.getLogger("test.progress")
    p = Progress(1000, "samples", log, "IG", clock=clock)
    with caplog.at_level(logging.INFO, "test.progress"):
        logged = []
        for _ in range(1000):
            clock.now += 0.2  # a tenth every 20 s: the time rule (60 s) never fires first
            logged.append(p.update(1))
    assert [i + 1 for i, x in enumerate(logged) if x] == list(range(100, 1001, 100))
    assert caplog.messages[0] == "IG: 100/1,000 samples, 5.0 samples/s, about 3 min 0 s left"
    assert caplog.messages[-1] == "IG: 1,000/1,000 samples in 3 min 20 s, 5.0 samples/s"


def test_a_step_of_seconds_writes_one_line():
    clock = Clock()
    p = Progress(1000, "samples", clock=clock)
    logged = []
    for _ in range(1000):
        clock.now += 0.005
        logged.append(p.update(1))
    assert [i + 1 for i, x in enumerate(logged) if x] == [1000]
    assert p.status() == "1,000/1,000 samples in 5 s, 200 samples/s"


def test_slow_steps_log_by_time_spaced_out_as_they_go():
    """A step of ~3 h with 1000 items: before a tenth is done, lines come once a minute at first,
    then at most a quarter of the time so far apart; about 30 lines in all, not 1000."""
    clock = Clock()
    p = Progress(1000, "images", clock=clock)
    times = []
    for _ in range(1000):
        clock.now += 10
        if p.update(1):
            times.append(clock.now - p.start)
    assert times[:3] == [60, 120, 180]  # once a minute at first
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g <= max(60, t / 4) + 10 for g, t in zip(gaps, times[1:]))
    assert max(gaps) > 600  # spaced out later
    assert 20 <= len(times) <= 40
    assert times[-1] == 10_000  # the last line, when all is done


def test_time_only_progress_and_no_line_without_new_work():
    clock = Clock()
    p = Progress(10, "batches", every=None, seconds=60, clock=clock)
    clock.now += 30
    assert not p.update(5)  # half the work, but lines by time only
    clock.now += 40
    assert p.update(1)  # a minute since the start
    clock.now += 100
    assert not p.update(0)  # nothing done since that line: nothing new to say
    assert p.update(1)
    assert not p.update(1)
    assert p.update(2)  # done


def test_no_item_done_yet():
    p = Progress(3, "epochs", clock=Clock())
    assert p.status() == "0/3 epochs, no epoch done yet, about an unknown time left"


def test_a_stream_of_unknown_length_logs_its_rate_by_time():
    clock = Clock()
    p = Progress(None, "rows", every=0.1, clock=clock)
    lines = []
    for _ in range(100):
        clock.now += 1
        if p.update(1000):
            lines.append(p.status())
    assert lines[0] == "60,000 rows, 1,000 rows/s"
    assert len(lines) == 1  # the next is due a minute (at least) later
    assert p.left() == float("inf")


def test_training_epochs_log_the_time_per_epoch_and_the_most_left(caplog):
    """Keras epochs (tcgatl.pancancer.training.EpochLog): every epoch line says the time per
    epoch so far and, but for the last, the most the phase has left (early stopping may stop it
    sooner); the history rows are unchanged."""
    import re

    import keras
    import numpy as np

    from tcgatl.pancancer.training import EpochLog

    # Seeded: an earlier test in the session may have turned on TensorFlow's determinism
    # (tcgatl.motlab.net.tf), under which an unseeded initialiser is refused.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((8, 4), np.float32), np.array([0, 1] * 4)
    rows = []
    with caplog.at_level(logging.INFO, "tcgatl.pancancer.training"):
        model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[EpochLog("head", rows)])
    lines = [m for m in caplog.messages if m.startswith("head epoch")]
    assert len(lines) == 3 and [r["epoch"] for r in rows] == [1, 2, 3]
    pace = r"\(\d+\.\d s; (under 1 s|\d+ s|\d+ min \d+ s) per epoch"
    assert re.search(rf"^head epoch 1/3: .* {pace}, at most .+ left\)$", lines[0]), lines[0]
    assert re.search(rf"^head epoch 3/3: .* {pace}\)$", lines[2]), lines[2]
