"""A prediction traced back through the model, run and data to the labelled production rows that
taught it and the gate that promoted it; broken links are named, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tracekit import NAME, get_trace, make_project, serve, story, world

from fullcycle.errors import InvalidInput, NotFound


def test_a_prediction_after_a_retrain_leads_to_the_rows_that_taught_it_and_its_gate(
    tmp_path: Path, db_url: str
) -> None:
    project, taught = story(tmp_path / "p", db_url)
    serve(project, world(1, 1, seed=9), ["after-0001"], feedback=False)
    t = project.trace("after-0001")
    v = project.production_version().version  # the loop's full or recent-rows challenger
    assert v > 1

    assert t.complete, t.missing
    p = t.prediction
    assert (p["model"], p["version"], p["route"], p["status"]) == (NAME, v, "production", 200)
    assert set(p["rows"][0]["inputs"]) == {"x0", "x1"} and p["rows"][0]["output"] in ("a", "b")
    assert p["latency_ms"] > 0 and t.routing["production"] == v
    assert t.model["ref"] == f"{NAME}:{v}" and t.model["artifact"] == "verified"
    assert "production" in t.model["aliases"]
    assert t.run["id"] and t.run["seed"] is not None and "python" in t.run["environment"]

    labelled = t.data["production_rows"]
    assert len(labelled) == 1 and labelled[0]["dataset"] == t.data["ref"]
    ids = labelled[0]["request_ids"]
    assert set(ids) <= set(taught) and 150 <= len(ids) < 300  # the held-out share went to the gate
    assert t.data["lineage"]["parents"][0]["ref"] == "rows@1"

    gate = t.gate
    assert gate["kind"] == "loop.gate" and gate["data"]["passed"] is True
    assert gate["data"]["numbers"]["challenger"] > gate["data"]["numbers"]["champion"]
    assert gate["data"]["dataset"] == t.data["ref"]
    kinds = [e["kind"] for e in t.events]
    assert kinds.index("loop.retrain") < kinds.index("model.register") < kinds.index("loop.gate")
    assert kinds.index("loop.gate") < kinds.index("loop.promote")
    assert "deployment.set" in kinds
    assert any(e["kind"] == "loop.promote" for e in t.promotion)
    assert [r["state"] for r in t.rollouts] == ["promoted"]
    json.dumps(t.to_dict())  # JSON-able as it is

    # the canary phase: a request answered by v2 at 50 % names the split and its bucket
    canary = [
        rid
        for rid in (f"c-{i:04d}" for i in range(120))
        if project.trace(rid).prediction["route"] == "canary"
    ]
    assert canary
    routing = project.trace(canary[0]).routing
    assert routing["canary"] == v and routing["bucket"] < 0.5
    assert "sent it to canary" in routing["why"]

    # a row that taught v2 was answered by v1 and its label came back
    first = project.trace(ids[0])
    assert first.prediction["version"] == 1 and first.feedback["label"] in ("a", "b")

    # the server answers the same trace
    res = get_trace(project, "after-0001")
    assert res.status_code == 200
    assert res.json()["data"]["production_rows"][0]["request_ids"] == ids


@pytest.mark.parametrize("bad", ["", "a" * 129, "x y", "../etc/passwd", "id;drop", "é"])
def test_a_malformed_id_is_refused_by_name(bare_project, bad: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="malformed"):
        bare_project.trace(bad)


def test_an_unknown_id_says_where_it_looked(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "p", db_url)
    serve(project, world(1, 3, seed=2), ["r-1", "r-2", "r-3"], feedback=False)
    with pytest.raises(NotFound, match="no prediction with request id r-9"):
        project.trace("r-9")
    assert project.trace("r-2").prediction["version"] == 1
    res = get_trace(project, "r-9")
    assert res.status_code == 404 and "r-9" in res.json()["error"]
    assert get_trace(project, "r 9").status_code in (404, 422)


def test_a_deleted_version_is_named_as_the_missing_link(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "p", db_url)
    serve(project, world(1, 2, seed=2), ["d-1", "d-2"], feedback=True)
    _delete_version(project, NAME, 1)
    t = project.trace("d-1")
    assert not t.complete and t.model is None and t.feedback is not None
    assert [m["link"] for m in t.missing] == ["model"]
    assert f"{NAME}:1" in t.missing[0]["message"] and "no longer" in t.missing[0]["message"]


def _delete_version(project, name: str, version: int) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from fullcycle.store.tables import aliases, model_versions

    with project._db.write() as conn:
        conn.execute(aliases.delete().where(aliases.c.name == name))
        conn.execute(
            sa.delete(model_versions).where(
                model_versions.c.name == name, model_versions.c.version == version
            )
        )


def test_a_corrupt_artifact_is_named_and_the_chain_goes_on(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "p", db_url)
    serve(project, world(1, 1, seed=2), ["k-1"], feedback=False)
    sha = project.models(NAME)[0].artifact_sha256
    path = next(p for p in (tmp_path / "p").rglob(sha) if p.is_file())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    t = project.trace("k-1")
    assert t.model["artifact"] == "corrupt"
    assert [m["link"] for m in t.missing] == ["artifact"]
    assert "corrupt" in t.missing[0]["message"]
    assert t.run is not None and t.data["ref"] == "rows@1"  # the rest is still followed


def test_the_cli_prints_the_chain_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fullcycle.cli import build_app

    project = make_project(tmp_path / "p", f"sqlite:///{tmp_path / 'p' / 'store.db'}")
    serve(project, world(1, 1, seed=2), ["cli-1"], feedback=True)
    monkeypatch.setenv("FULLCYCLE_DATABASE_URL", f"sqlite:///{tmp_path / 'p' / 'store.db'}")
    runner = CliRunner()
    res = runner.invoke(build_app(), ["trace", "cli-1", "-C", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    for word in ("prediction", "feedback", "model", "run", "data", "events"):
        assert f"\n{word}" in "\n" + res.output, word
    assert len(res.output.splitlines()) <= 40
    res = runner.invoke(build_app(), ["trace", "cli-1", "--json", "-C", str(tmp_path / "p")])
    assert json.loads(res.output)["prediction"]["version"] == 1
    res = runner.invoke(build_app(), ["trace", "nope", "-C", str(tmp_path / "p")])
    assert res.exit_code != 0
