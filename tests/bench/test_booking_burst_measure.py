"""The pure helpers of bench/booking_burst.py (bench/burst/measure.py): /proc reading against fake /proc
trees, CPU deltas across processes that come and go, percentiles, and the summary of one burst."""

import pytest

from bench.burst import measure


def stat_line(pid, ppid, *, utime, stime, cutime=0, cstime=0, starttime=1000, comm="gunicorn"):
    """A /proc/<pid>/stat line as the kernel writes it (52 fields)."""
    fields = ["S", ppid, pid, pid, 0, -1, 4194304, 0, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1, 0]
    fields += [starttime, 123456, 789] + [0] * 30
    return f"{pid} ({comm}) " + " ".join(str(f) for f in fields) + "\n"


def fake_proc(tmp_path, lines: dict[int, str]):
    for pid, line in lines.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(line)
    (tmp_path / "self").mkdir()  # not a pid: ignored
    return tmp_path


def test_parse_stat_reads_cpu_and_identity_fields():
    stat = measure.parse_stat(stat_line(42, 7, utime=150, stime=30, cutime=5, cstime=2, starttime=9999))
    assert (stat.pid, stat.ppid, stat.starttime) == (42, 7, 9999)
    assert (stat.ticks, stat.children_ticks) == (180, 7)
    assert stat.key == (42, 9999)


def test_parse_stat_copes_with_spaces_and_parentheses_in_the_command_name():
    stat = measure.parse_stat(stat_line(42, 7, utime=11, stime=22, comm="postgres: a (b) c"))
    assert (stat.pid, stat.ppid, stat.ticks) == (42, 7, 33)


def test_parse_stat_reads_a_real_stat_file():
    stat = measure.read_stat(1)
    assert stat is not None and stat.pid == 1 and stat.ticks >= 0


def test_read_stat_of_a_process_that_has_gone_is_none(tmp_path):
    assert measure.read_stat(123, proc_root=tmp_path) is None


def test_process_tree_is_the_master_and_all_its_descendants(tmp_path):
    proc = fake_proc(
        tmp_path,
        {
            100: stat_line(100, 1, utime=10, stime=1, cutime=40, cstime=4),  # gunicorn master
            101: stat_line(101, 100, utime=200, stime=20),  # workers
            102: stat_line(102, 100, utime=300, stime=30),
            103: stat_line(103, 102, utime=1, stime=1),  # a worker's child
            200: stat_line(200, 1, utime=999, stime=999),  # someone else
        },
    )
    tree = measure.process_tree(100, proc_root=proc)
    assert sorted(s.pid for s in tree) == [100, 101, 102, 103]
    ticks = measure.ticks_of(tree, with_children_of=100)
    # The master's reaped children count as its own CPU; a worker's do not (they are in the tree).
    assert ticks == {(100, 1000): 55, (101, 1000): 220, (102, 1000): 330, (103, 1000): 2}


def test_process_tree_of_a_missing_root_is_empty(tmp_path):
    proc = fake_proc(tmp_path, {200: stat_line(200, 1, utime=1, stime=1)})
    assert measure.process_tree(100, proc_root=proc) == []


def test_cpu_delta_counts_processes_that_stay_appear_and_vanish():
    before = {(1, 10): 100, (2, 10): 50, (3, 10): 70}
    last_seen = {(1, 10): 150, (2, 10): 80, (3, 10): 90, (4, 20): 25, (5, 30): 8}
    after = {(1, 10): 160, (2, 10): 80, (4, 20): 30}
    delta = measure.cpu_delta(before, after, last_seen)
    # 1: +60; 2: +30; 3 vanished, last seen +20; 4 appeared: 30; 5 appeared and vanished: 8.
    assert delta.ticks == 60 + 30 + 20 + 30 + 8
    assert (delta.processes, delta.appeared, delta.vanished) == (5, 2, 2)
    assert delta.ms(clock_ticks=100) == pytest.approx(1480.0)


def test_cpu_delta_never_mistakes_a_reused_pid_for_the_old_process():
    # pid 7 exited and a new process got pid 7 (another starttime): the new one counts from zero.
    delta = measure.cpu_delta({(7, 10): 500}, {(7, 99): 3})
    assert delta.ticks == 3
    assert (delta.appeared, delta.vanished) == (1, 1)


def test_cpu_delta_never_goes_negative():
    assert measure.cpu_delta({(1, 1): 10}, {(1, 1): 9}).ticks == 0


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 95, 5.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([4, 1, 3, 2], 0, 1),
        ([4, 1, 3, 2], 100, 4),
        (list(range(1, 101)), 95, 95.05),
        (list(range(1, 1001)), 50, 500.5),
    ],
)
def test_percentile_interpolates_between_closest_ranks(values, p, expected):
    assert measure.percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_out_of_range_fails():
    assert measure.percentile([], 50) is None
    with pytest.raises(ValueError):
        measure.percentile([1], 101)


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"status": 302, "error": ""}, "booked"),
        ({"status": 400, "error": ""}, "refused"),
        ({"status": 200, "error": ""}, "error"),  # the full page again: not a refusal
        ({"status": 403, "error": ""}, "error"),  # CSRF failure: a 4xx that is an error
        ({"status": 500, "error": ""}, "error"),
        ({"status": None, "error": "ConnectionError: reset"}, "error"),
    ],
)
def test_classify(record, kind):
    assert measure.classify(record) == kind


def record(person, *, sent, done, status, size=0, error=""):
    return {"person": person, "sent": sent, "done": done, "status": status, "bytes": size, "error": error}


def test_summarise_run_without_a_waitlist():
    # 3 seats, 6 residents: 1-3 win, 4-5 are refused, 6 gets a 500.
    records = [
        record(1, sent=10.0, done=10.1, status=302),
        record(2, sent=10.0, done=10.2, status=302),
        record(3, sent=10.1, done=10.5, status=302),
        record(4, sent=10.2, done=10.6, status=400, size=800),
        record(5, sent=10.3, done=10.7, status=400, size=1200),
        record(6, sent=10.3, done=11.0, status=500),
    ]
    summary = measure.summarise_run(
        records,
        seconds=1.0,
        cpu_ms=60.0,
        floor_cpu_ms_per_request=2.5,
        seats=3,
        registered={1: "confirmed", 2: "confirmed", 3: "confirmed"},
        start=10.0,
    )
    assert summary["requests"] == 6
    assert (summary["confirmed"], summary["waitlisted"], summary["refused"]) == (3, 0, 2)
    assert (summary["overbooked"], summary["errors"], summary["mismatched"]) == (0, 1, 0)
    assert summary["cpu_ms_per_booking"] == 10.0
    assert summary["cpu_ms_per_floor_request"] == 2.5
    assert summary["cpu_ratio_to_floor"] == 4.0
    assert summary["bookings_per_second"] == 6.0
    assert summary["sellout_s"] == 0.5  # the last seat's answer came 0.5 s after the burst was let go
    assert summary["p50_ms"] == 400.0
    assert summary["p95_ms"] == pytest.approx(625.0)
    assert summary["refusal_p50_ms"] == 400.0
    assert summary["refusal_bytes_median"] == 1000


def test_summarise_run_with_a_waitlist_and_answers_that_disagree_with_the_database():
    records = [
        record(1, sent=0.0, done=0.1, status=302),
        record(2, sent=0.0, done=0.2, status=302),
        record(3, sent=0.0, done=0.3, status=302),  # a redirect, yet no registration: an error
        record(4, sent=0.0, done=0.4, status=400),  # a refusal, yet registered: an error
    ]
    summary = measure.summarise_run(
        records,
        seconds=0.4,
        cpu_ms=8.0,
        floor_cpu_ms_per_request=None,
        seats=1,
        registered={1: "confirmed", 2: "waitlisted", 4: "waitlisted"},
        start=0.0,
    )
    assert (summary["confirmed"], summary["waitlisted"], summary["refused"]) == (1, 2, 1)
    assert (summary["errors"], summary["mismatched"]) == (2, 2)
    assert summary["cpu_ratio_to_floor"] is None
    assert summary["sellout_s"] == 0.1


def test_summarise_run_counts_overbooking_and_no_sellout_below_capacity():
    overbooked = measure.summarise_run(
        [record(p, sent=0.0, done=0.1 * p, status=302) for p in (1, 2, 3)],
        seconds=1.0,
        cpu_ms=3.0,
        floor_cpu_ms_per_request=1.0,
        seats=2,
        registered={1: "confirmed", 2: "confirmed", 3: "confirmed"},
        start=0.0,
    )
    assert overbooked["overbooked"] == 1
    not_sold_out = measure.summarise_run(
        [record(1, sent=0.0, done=0.1, status=302)],
        seconds=1.0,
        cpu_ms=3.0,
        floor_cpu_ms_per_request=1.0,
        seats=2,
        registered={1: "confirmed"},
        start=0.0,
    )
    assert not_sold_out["sellout_s"] is None and not_sold_out["overbooked"] == 0


def test_machine_ticks_reads_the_cpu_line_of_proc_stat(tmp_path):
    (tmp_path / "stat").write_text(
        "cpu  100 5 20 300 7 1 2 9 0 0\ncpu0 50 2 10 150 3 0 1 4 0 0\nintr 12345\n"
    )
    assert measure.machine_ticks(proc_root=tmp_path) == (100 + 5 + 20 + 1 + 2, 9, 444)


def test_machine_ticks_of_this_machine_are_consistent():
    busy, steal, total = measure.machine_ticks()
    assert 0 <= busy <= total and 0 <= steal <= total
