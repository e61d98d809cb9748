"""Dashboard page latency, against a bare Starlette page of the same size, in one process.

    python bench/ui.py [--requests 50] [--runs 200]

Builds a project with ``--runs`` tracked runs (6 metric steps each), monitoring reports and
audit events, then times GET of every page in-process over ASGI (httpx), and the same number
of GETs of a bare Starlette route returning fixed HTML of the page's size. Prints the median
milliseconds per page and the ratio to the bare route.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ui"))


async def timed(client, path: str, n: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        res = await client.get(path)
        times.append(time.perf_counter() - t0)
        size = len(res.content)
        assert res.status_code == 200, (path, res.status_code)
    return statistics.median(times) * 1000, size


async def main(requests: int, runs: int) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route
    from uikit import PAGES, add_monitoring, add_rollout

    from fullcycle.project import Project
    from fullcycle.ui.app import create_ui

    project = Project.init(Path(tempfile.mkdtemp()) / "bench", "bench")
    for i in range(runs):
        with project.start_run("run", params={"lr": i / runs, "depth": i % 7}) as run:
            for step in range(6):
                run.log_metric("loss", 1 / (step + 1 + i), step=step)
    for i in range(50):
        project.record("loop.decide", subject="bench", message=f"decision {i}")
    add_monitoring(project)
    add_rollout(project)
    ui = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_ui(project, auth_required=False)),
        base_url="http://127.0.0.1",
    )
    print(f"{'page':<12} {'ms':>8} {'bare ms':>8} {'ratio':>6} {'KiB':>6}")
    for path in PAGES:
        await ui.get(path)  # warm the template cache
        ms, size = await timed(ui, path, requests)
        body = "x" * size

        async def page(request, body=body):  # type: ignore[no-untyped-def]
            return HTMLResponse(body)

        bare = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=Starlette(routes=[Route("/", page)])),
            base_url="http://127.0.0.1",
        )
        bare_ms, _ = await timed(bare, "/", requests)
        print(f"{path:<12} {ms:8.2f} {bare_ms:8.2f} {ms / bare_ms:6.1f} {size / 1024:6.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.runs))
