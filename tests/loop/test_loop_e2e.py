"""The loop against a real server: too little data, and a controller killed mid-retrain."""

import multiprocessing as mp
import os
import signal
from pathlib import Path

import loopkit
import pytest

from fullcycle import auth
from fullcycle.demo import traffic
from fullcycle.demo.server import Server
from fullcycle.examples import voice
from fullcycle.loop.controller import Controller
from fullcycle.loop.policy import Decision
from fullcycle.project import Project
from fullcycle.store import leases
from fullcycle.testing import wait_until

SCOPE = Path(__file__).resolve().parents[2] / "src" / "fullcycle" / "demo" / "voice.yaml"


def make_project(folder: Path, *, lease_seconds: int = 600) -> Project:
    folder.mkdir(parents=True)
    text = SCOPE.read_text().replace("lease_seconds: 600", f"lease_seconds: {lease_seconds}")
    text = text.replace("min_samples: 120", "min_samples: 60")
    (folder / "fullcycle.yaml").write_text(text)
    project = Project.open(folder)
    frame = voice.without_truth(voice.generate(0, 1500, seed=1)).drop(columns=["request_time"])
    data = project.add_data(frame, "queries")
    run = project.train(data=data.ref, learning_curve=False)
    version = project.register(run.run_id)
    project.promote(
        version.ref, force=True, reason="test set-up: the loop, not the goal, is tested"
    )
    return project


def replay(url: str, token: str, period: int, n: int, feedback_share: float = 0.2) -> None:
    frame = voice.generate(period, n, seed=period)
    ids = [f"t{period}-{i}" for i in range(n)]
    traffic.replay(url, frame.to_dict("records"), ids, concurrency=8, token=token)
    fb = [
        {"request_id": r, "label": d}
        for i, (r, d) in enumerate(zip(ids, frame["domain"], strict=True))
        if i % int(1 / feedback_share) == 0
    ]
    traffic.send_feedback(url, fb, token=token)


@pytest.mark.slow
def test_without_traffic_the_loop_says_insufficient_data_and_does_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    report = project.monitor("last:5000")
    assert report.verdict == "insufficient_data"
    assert report.verdict_text == "insufficient data: 0 rows, need 200"
    step = project.loop_step()
    assert step.action == "none" and "insufficient data" in step.reasons[0]
    assert len(project.models()) == 1
    assert [e.kind for e in project.events(kind="loop.")] == ["loop.none"]


def _retrain_and_die(folder: str) -> None:
    """A controller that holds the loop's lease and is killed with SIGKILL in the middle of
    retraining: after the new dataset version, during the training run, before registration."""
    project = Project.open(folder)
    original = project.train

    def train_then_die(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    project.train = train_then_die  # type: ignore[method-assign]
    controller = Controller(project, holder="doomed")
    leases.acquire(project._db, "loop:voice", "doomed", 10)
    _, context = controller.observe()
    decision = Decision("retrain", ["forced by the test"], {}, ["forced by the test"])
    step = controller._retrain(decision, context, {})
    Path(folder, "survived.txt").write_text(f"{step.action}: {step.reasons}")


@pytest.mark.slow
def test_a_controller_killed_mid_retrain_leaves_nothing_partial_and_the_next_one_resumes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "p"
    project = make_project(folder, lease_seconds=10)
    with Server(folder) as url:
        token = auth.create_token(project._db, name="traffic", role="write")
        replay(url, token, 3, 1000)
        project.monitor("last:5000")
        frame = voice.generate(3, 1000, seed=3)
        truth = dict(zip([f"t3-{i}" for i in range(1000)], frame["domain"], strict=True))
        first = project.loop_step()  # decay and drift, too few labels: queue rows
        assert first.action == "queue_labels", first
        loopkit.answer_queue(project, truth, tmp_path / "round0")
        versions_before = len(project.models())

        proc = mp.get_context("spawn").Process(target=_retrain_and_die, args=(str(folder),))
        proc.start()
        proc.join(300)
        survived = folder / "survived.txt"
        assert proc.exitcode == -signal.SIGKILL, survived.read_text() if survived.exists() else ""

        assert len(project.models()) == versions_before  # nothing half-registered
        assert project.production_version().version == 1
        held = ("loop:voice", "retrain:voice")  # the dead holder's leases expire (after 10 s)
        wait_until(
            lambda: not any(leases.holder(project._db, name) for name in held),
            timeout=60,
            interval=0.5,
            what="the dead holder's leases to expire",
        )
        resumed = project.loop_step(holder="next")
        assert resumed.action != "wait", resumed
        assert leases.holder(project._db, "retrain:voice") is None
        assert project.production_version().status == "ready"


def test_a_second_controller_waits_while_the_first_holds_the_lease(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "fullcycle.yaml").write_text(SCOPE.read_text())
    project = Project.open(folder)
    leases.acquire(project._db, "loop:voice", "first", 600)
    step = project.loop_step(holder="second")
    assert step.action == "wait" and "held by first" in step.reasons[0]
    assert [e.kind for e in project.events(kind="loop.")] == ["loop.wait"]
