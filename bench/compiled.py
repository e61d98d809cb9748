"""One-row and 32-row predict time: the 20-feature HistGradientBoosting model of bench/serve.py
against its ONNX compilation (``fullcycle models compile --to onnx``) run by onnxruntime.

Both get what the server hands a model: a pandas frame in the contract's column order. The
compiled model is first checked against the original (exact classes, probabilities within
1e-4) on 200 rows. Prints the median time per call and the ratio, measured in the same run.

    python bench/compiled.py [--repeats 2000]

(Not bench/onnx.py: the tests put bench/ on sys.path, where that name would shadow the onnx
package.)
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent


def _serve_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_serve", HERE / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(fn: Any, repeats: int) -> float:
    import numpy as np

    for _ in range(min(50, repeats)):  # warm up
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def main() -> None:
    import pandas as pd

    from fullcycle.train.flavours.compile import to_onnx, verify

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    model, rows, _ = _serve_module().tabular()
    cols = [f"x{i}" for i in range(20)]
    frame = pd.DataFrame(rows, columns=cols)
    compiled = to_onnx(model, cols, dict.fromkeys(cols, "numeric"), "bench model")
    check = verify(model, compiled, frame)
    print(
        f"check on {check['rows']} rows: {check['rows_differing']} differ, "
        f"max |dp| {check['max_proba_diff']:.2g} (tolerance {check['tolerance']:g})"
    )
    print(
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, repeats {args.repeats}, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    print(f"{'rows':>5} {'scikit-learn ms':>16} {'onnxruntime ms':>15} {'speed-up':>9}")
    for n in (1, 32):
        batch = frame.head(n)
        base = median_ms(lambda b=batch: model.predict_proba(b), args.repeats)
        fast = median_ms(lambda b=batch: compiled.predict_proba(b), args.repeats)
        print(f"{n:>5} {base:>16.3f} {fast:>15.3f} {base / fast:>8.1f}x")


if __name__ == "__main__":
    main()
