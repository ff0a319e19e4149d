"""The hostile-input harness itself: crashes and hangs are caught and judged as failures."""

from __future__ import annotations

from tests.hostile import Case, Worker, judge


def test_harness_tells_outcomes_apart(hostile_worker: Worker) -> None:
    ok = Case("ok", "zcfast.spearman([1, 2, 3], [1, 3, 2])")
    clear = Case("clear", "zcfast.spearman([1, 2], [1, 2, 3])", "ShapeError")
    unclear = Case("unclear", "{}['x']", "InvalidValueError")
    for case, problem in [(ok, ""), (clear, ""), (unclear, "got raised KeyError")]:
        assert problem in judge(case, hostile_worker.run(case.code)) or not problem
        assert bool(judge(case, hostile_worker.run(case.code))) == bool(problem)


def test_harness_survives_crashes_and_hangs(hostile_worker: Worker) -> None:
    crashed = hostile_worker.run("import os; os.abort()")
    assert crashed.kind == "crashed"
    hung = hostile_worker.run("import time; time.sleep(60)", timeout=2)
    assert hung.kind == "hung"
    # the next case gets a fresh worker
    assert hostile_worker.run("zcfast.pearson([1, 2, 3], [3, 2, 1])").kind == "ok"


def test_cli_helper_checks_status_and_message(hostile_worker: Worker) -> None:
    one_line = "cli('score', '--formula', 'a +', '--data', str(tmp / 'absent.csv'))"
    assert hostile_worker.run(one_line).kind == "ok"
    wrong_status = hostile_worker.run(
        "cli('score', '--formula', 'a', '--data', str(tmp / 'absent.csv'), status=0)"
    )
    assert wrong_status.kind == "raised" and wrong_status.error_type == "AssertionError"
