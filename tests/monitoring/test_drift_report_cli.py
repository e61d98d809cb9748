"""The drift report's HTML and JSON, and ``fullcycle drift`` on real files."""

import json

import numpy as np
import pandas as pd
import pytest
import typer

from fullcycle.cli import drift as drift_cli
from fullcycle.cli._errors import run_guarded
from fullcycle.monitoring.compare import drift_frames

EVIL = "<script>alert(1)</script>"


def frames(n=1000, shift=2.0):
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({EVIL: rng.normal(size=n), "c": rng.choice(["a", "b", EVIL], size=n)})
    cur = pd.DataFrame({EVIL: rng.normal(shift, 1, size=n), "c": rng.choice(["a", "b"], size=n)})
    return ref, cur


def test_html_is_self_contained_and_escapes_user_strings():
    report = drift_frames(*frames())
    page = report.to_html(title=f"title {EVIL}")
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\u0026lt;script\\u0026gt;" in page  # chart labels: HTML-escaped, then JSON-escaped
    assert "<script src=" not in page and "<link" not in page  # nothing fetched
    assert "Plotly.newPlot" in page
    assert page.count("<script>") == 2  # the inlined plotly.js bundle and the chart calls
    assert report.drifted_features[0] == EVIL


def test_json_report_is_plain_json():
    data = json.loads(json.dumps(drift_frames(*frames()).to_dict(), allow_nan=False))
    assert data["drifted"] is True
    assert data["verdict"].startswith("drift")
    top = data["features"][0]
    assert {"name", "kind", "verdict", "stats", "thresholds", "rows", "chart"} <= set(top)


def cli(argv):
    app = typer.Typer()
    drift_cli.register(app)

    @app.command("version")
    def version() -> None:  # a second command keeps "drift" a named subcommand
        """Unused."""

    return run_guarded(app, argv)


def test_cli_compares_two_csv_files(tmp_path, capsys):
    ref, cur = frames(shift=0.0)
    ref["y"] = np.arange(len(ref)) % 2
    cur["y"] = 1
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    html = tmp_path / "out.html"
    code = cli(
        [
            "drift",
            str(tmp_path / "ref.csv"),
            str(tmp_path / "cur.csv"),
            "--target",
            "y",
            "--html",
            str(html),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "y (target)" in out and "drift" in out
    assert "Dataset: drift: 2 of 3 features" in out  # the target, and c lost a category
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_json_and_other_formats(tmp_path, capsys):
    ref, cur = frames()
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_json(tmp_path / "cur.jsonl", orient="records", lines=True)
    code = cli(["drift", str(tmp_path / "ref.parquet"), str(tmp_path / "cur.jsonl"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["drifted_features"][0] == EVIL


@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("missing.csv", None, 5, "no such file"),
        ("data.xlsx", "x", 4, "unknown file type '.xlsx'"),
        ("bad.parquet", "not parquet", 4, "cannot be read as parquet"),
    ],
)
def test_cli_bad_files_give_clear_errors(tmp_path, capsys, name, content, code, message):
    ok = tmp_path / "ok.csv"
    pd.DataFrame({"x": [1.0, 2.0]}).to_csv(ok, index=False)
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    assert cli(["drift", str(ok), str(path)]) == code
    assert message in capsys.readouterr().err


def test_cli_small_window_says_insufficient_data(tmp_path, capsys):
    ref, cur = frames()
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.iloc[:8].to_csv(tmp_path / "cur.csv", index=False)
    assert cli(["drift", str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv")]) == 0
    assert "insufficient data: 8 rows, need 200" in capsys.readouterr().out


def test_cli_project_option_uses_the_projects_thresholds(tmp_path, capsys):
    from fullcycle.project import Project

    ref, cur = frames()
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.iloc[:50].to_csv(tmp_path / "cur.csv", index=False)
    files = [str(tmp_path / "ref.csv"), str(tmp_path / "cur.csv")]
    assert cli(["drift", *files, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "insufficient data: 50 rows, need 200"
    Project.init(tmp_path / "p", "p", target="y").close()
    yaml_file = tmp_path / "p" / "fullcycle.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    assert "  min_rows: 200 " in text
    yaml_file.write_text(text.replace("  min_rows: 200 ", "  min_rows: 20 "), encoding="utf-8")
    assert cli(["drift", *files, "--json", "-C", str(tmp_path / "p")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["drifted"] is True and EVIL in data["drifted_features"]
