"""What the token check costs a /predict request, in-process over ASGI.

Runs the same requests against the app with token checks off and on (cached lookups, and
a lookup in the store every time), and prints the throughput of each as a ratio of the run
without checks, measured in this process. Usage: ``.venv/bin/python bench/auth.py [N]``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from fullcycle import auth
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook
from fullcycle.serving.models import LoadedModel
from fullcycle.serving.payload import signature_validator
from fullcycle.serving.runtime import Runtime
from fullcycle.store import deployments
from fullcycle.store.db import Database

FEATURES = ["f0", "f1", "f2", "f3"]
ROUNDS = 3
SIGNATURE = {"inputs": [{"name": f, "type": "double"} for f in FEATURES]}


class Source:
    def __init__(self, db: Database) -> None:
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        x = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 4)), columns=FEATURES)
        self.db, self.model = db, LogisticRegression().fit(x, x["f0"] > 0)

    def deployment(self) -> Any:
        return deployments.current(self.db, "bench")

    def load(self, name: str, version: int) -> LoadedModel:
        return LoadedModel(
            name=name,
            version=version,
            estimator=self.model,
            validate=signature_validator(SIGNATURE),
            classes=[False, True],
            signature=SIGNATURE,
            reference_rows=[dict.fromkeys(FEATURES, 0.0)],
        )


async def run(app: Any, headers: dict[str, str], n: int) -> float:
    """Requests per second for ``n`` one-row predictions, 16 in flight."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers=headers
        ) as client:
            body = {"records": [dict.fromkeys(FEATURES, 0.5)]}
            queue = list(range(n))

            async def worker() -> None:
                while queue:
                    queue.pop()
                    r = await client.post("/predict", json=body)
                    assert r.status_code == 200, r.text

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(16)))
            return n / (time.perf_counter() - started)


def main(n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fc-bench-auth-"))
    db = Database.open(f"sqlite:///{folder / 'store.db'}")
    deployments.set(db, "bench", production=1, actor="bench")
    token = auth.create_token(db, name="bench", role="predict")

    def app(access: Access) -> Any:
        logbook = Logbook(db, folder / "logs", model="bench")
        runtime = Runtime(Source(db), logbook, db=db)
        return create_app(runtime, access=access, gc_freeze=False)

    bearer = {"Authorization": f"Bearer {token}"}
    cases = [
        ("no token checks", Access(), {}),
        ("tokens, cached 5 s", Access(authenticator=auth.Authenticator(db)), bearer),
        ("tokens, store every time", Access(authenticator=auth.Authenticator(db, ttl_s=0)), bearer),
    ]
    asyncio.run(run(app(Access()), {}, 200))  # warm up imports and the model
    best = dict.fromkeys(range(len(cases)), 0.0)
    for _ in range(ROUNDS):  # interleaved rounds, best of each: steadier on a shared host
        for i, (_, access, headers) in enumerate(cases):
            best[i] = max(best[i], asyncio.run(run(app(access), headers, n)))
    for i, (label, _, _) in enumerate(cases):
        print(f"{label:28s} {best[i]:8.0f} req/s  ratio {best[i] / best[0]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
