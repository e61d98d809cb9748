"""A skops file runs no code: an exact allow-list of types and functions, never a prefix.

The evil files are built for real with skops, then their schema.json is edited the way an
attacker would: a function is renamed to one of the many names under ``numpy.``, ``sklearn.``
or ``scipy.`` that resolve to subprocess or shutil functions.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from fullcycle import registry
from fullcycle.cli import main
from fullcycle.errors import UnsafeArtifact
from fullcycle.project import Project
from fullcycle.train import serialization
from fullcycle.train.flavours import _skops_allow

DOCS = ["good movie", "bad movie", "good plot", "bad acting"] * 5
LABELS = ["pos", "neg", "pos", "neg"] * 5


def _renamed(data: bytes, real: tuple[str, str], shown: tuple[str, str]) -> bytes:
    """The skops bytes with every FunctionNode ``real`` relabelled as ``shown``."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                node.get("__loader__") == "FunctionNode"
                and (
                    node.get("__module__"),
                    node.get("__class__"),
                )
                == real
            ):
                node["__module__"], node["__class__"] = shown
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(body)
                walk(schema)
                body = json.dumps(schema).encode()
            dst.writestr(item, body)
    return out.getvalue()


def _text_model(analyzer: Any, shown: tuple[str, str]) -> bytes:
    """A fitted TF-IDF + logistic regression whose analyzer is then swapped for ``analyzer``."""
    model = Pipeline([("vec", TfidfVectorizer()), ("clf", LogisticRegression())]).fit(DOCS, LABELS)
    model.named_steps["vec"].analyzer = analyzer
    real = (analyzer.__module__, analyzer.__name__)
    return _renamed(sio.dumps(model), real, shown)


def _getstatusoutput(tmp: Path) -> tuple[bytes, str, Path]:
    marker = tmp / "pwned-getstatusoutput"
    data = _text_model(subprocess.getstatusoutput, ("numpy.distutils.cpuinfo", "getstatusoutput"))
    return data, f"touch {marker}", marker


def _check_output(tmp: Path) -> tuple[bytes, str, Path]:
    marker = tmp / "pwned-check-output"
    script = tmp / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    data = _text_model(subprocess.check_output, ("sklearn.utils._testing", "check_output"))
    return data, str(script), marker


def _rmtree(tmp: Path) -> tuple[bytes, str, Path]:
    victim = tmp / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    data = _text_model(shutil.rmtree, ("scipy._lib._tmpdirs", "rmtree"))
    return data, str(victim), victim


def _full_like(tmp: Path) -> tuple[bytes, str, Path]:
    """Every row's text becomes CMD (numpy.full_like), then the analyzer runs it."""
    marker = tmp / "pwned-full-like"
    model = Pipeline(
        [
            (
                "fill",
                FunctionTransformer(
                    np.full_like, kw_args={"fill_value": f"touch {marker}", "dtype": object}
                ),
            ),
            ("vec", TfidfVectorizer()),
            ("clf", LogisticRegression()),
        ]
    )
    model.set_params(fill__func=np.asarray, fill__kw_args=None).fit(np.array(DOCS), LABELS)
    model.set_params(
        fill__func=np.full_like, fill__kw_args={"fill_value": f"touch {marker}", "dtype": object}
    )
    model.named_steps["vec"].analyzer = subprocess.getstatusoutput
    data = _renamed(
        sio.dumps(model),
        ("subprocess", "getstatusoutput"),
        ("numpy.distutils.cpuinfo", "getstatusoutput"),
    )
    return data, "harmless text", marker


def _happened(case: str, sign: Path) -> bool:
    return not sign.exists() if case == "rmtree" else sign.exists()


REPRODUCERS = {
    "getstatusoutput": _getstatusoutput,
    "check_output": _check_output,
    "rmtree": _rmtree,
    "full_like": _full_like,
}


@pytest.mark.parametrize("case", sorted(REPRODUCERS))
def test_the_reproducers_are_real_when_skops_trusts_their_names(case: str, tmp_path: Path) -> None:
    data, text, sign = REPRODUCERS[case](tmp_path)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    # the analyzer's result is no token list, so predict may fail; the harm is done before
    with contextlib.suppress(Exception):
        loaded.predict(np.array([text]))
    assert _happened(case, sign)


@pytest.mark.parametrize("case", sorted(REPRODUCERS))
def test_fullcycle_refuses_each_reproducer_and_nothing_runs(case: str, tmp_path: Path) -> None:
    data, text, sign = REPRODUCERS[case](tmp_path)
    with pytest.raises(UnsafeArtifact, match="outside fullcycle's allow-list") as err:
        serialization.loads(data)
    shown = {
        "getstatusoutput": "numpy.distutils.cpuinfo.getstatusoutput",
        "check_output": "sklearn.utils._testing.check_output",
        "rmtree": "scipy._lib._tmpdirs.rmtree",
        "full_like": "numpy.full_like",
    }[case]
    assert shown in str(err.value)
    assert not _happened(case, sign)


@pytest.mark.parametrize("case", sorted(REPRODUCERS))
def test_models_import_refuses_the_file_and_stores_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = Project.init(tmp_path / "p", "churn", target="y")
    data, text, sign = REPRODUCERS[case](tmp_path)
    evil = tmp_path / "evil.skops"
    evil.write_bytes(data)
    code = main(
        ["models", "import", str(evil), "--name", "evil", "-C", str(proj.settings.project_dir)]
    )
    err = capsys.readouterr().err
    assert code != 0
    assert "allow-list" in err
    assert registry.models(proj._db) == []
    assert not _happened(case, sign)


def test_register_refuses_a_run_whose_model_was_swapped(tmp_path: Path) -> None:
    proj = Project.init(tmp_path / "p", "churn", target="y")
    data, _, _ = _check_output(tmp_path)
    with proj.start_run() as run:
        run.log_bytes(data, "model.skops")
        run.log_bytes(b"{}", "model.json")
    with pytest.raises(UnsafeArtifact, match="sklearn.utils._testing.check_output"):
        registry.register(proj._db, proj._artifacts, run.id, name="evil")
    assert registry.models(proj._db) == []


def _function_names() -> list[tuple[str, str]]:
    """Public and private callables of modules under numpy, scipy and sklearn, by their path."""
    import importlib
    import warnings

    modules = [
        "numpy",
        "numpy.lib",
        "numpy.linalg",
        "numpy.fft",
        "numpy.testing",
        "numpy.distutils.cpuinfo",
        "numpy.f2py",
        "scipy",
        "scipy.special",
        "scipy.io",
        "scipy._lib._tmpdirs",
        "scipy._lib._testutils",
        "sklearn",
        "sklearn.utils",
        "sklearn.utils._testing",
        "sklearn.datasets",
        "sklearn.utils.fixes",
        "sklearn.externals",
    ]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in modules:
            try:
                mod = importlib.import_module(name)
            except ImportError:
                continue
            for attr in dir(mod):
                obj = getattr(mod, attr, None)
                if callable(obj) and not isinstance(obj, type):
                    out.append((name, attr))
    return sorted(set(out))


NAMES = _function_names()


def _template() -> bytes:
    return sio.dumps(FunctionTransformer(np.full_like))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES))
def test_only_ufuncs_pass_whatever_function_name_a_file_holds(name: tuple[str, str]) -> None:
    import importlib

    data = _renamed(_template(), ("numpy", "full_like"), name)
    obj = getattr(importlib.import_module(name[0]), name[1])
    try:
        serialization.check(data)
    except UnsafeArtifact as exc:
        assert ".".join(name) in str(exc)
        return
    # passing is allowed only for ufuncs (skops' defaults) or fullcycle's exact extras
    assert (
        isinstance(obj, np.ufunc)
        or type(obj).__name__ == "ufunc"
        or (".".join(name) in _skops_allow.EXTRA_FUNCTIONS)
    )


def test_the_sweep_covers_the_dangerous_reexports() -> None:
    for dangerous in [
        ("numpy.distutils.cpuinfo", "getstatusoutput"),
        ("sklearn.utils._testing", "check_output"),
        ("scipy._lib._tmpdirs", "rmtree"),
    ]:
        assert dangerous in NAMES
        with pytest.raises(UnsafeArtifact):
            serialization.check(_renamed(_template(), ("numpy", "full_like"), dangerous))


def test_every_extra_type_is_one_fullcycle_recipes_produce() -> None:
    """The allow-list is no wider than what real models need (each name shows up below)."""
    import trainkit as kit
    from fullcycle.train.recipe import build

    frame = kit.frame(n=120)
    X, y = frame.drop(columns="label"), frame["label"]
    seen: set[str] = set()
    for path, params in [
        ("sklearn.ensemble:HistGradientBoostingClassifier", {"max_iter": 3}),
        ("sklearn.ensemble:RandomForestClassifier", {"n_estimators": 2}),
        ("sklearn.neural_network:MLPClassifier", {"max_iter": 5}),
        ("sklearn.neural_network:MLPClassifier", {"max_iter": 5, "solver": "sgd"}),
    ]:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = build(kit.spec(), Path("."), model=path, params=params).model.fit(X, y)
        data = serialization.dumps(model)
        names = _skops_allow.check_file(data, "m")
        seen.update(names)
        assert serialization.loads(data).predict(X.head(3)).shape == (3,)
    needed = _skops_allow.EXTRA_TYPES - {
        "builtins.slice",
        "collections.OrderedDict",
        "collections.defaultdict",
    }
    assert needed - seen == set()


def test_a_tree_with_out_of_range_children_is_refused() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    model = HistGradientBoostingClassifier(max_iter=2).fit(X, X["a"] > 50)
    nodes = model._predictors[0][0].nodes
    inner = np.flatnonzero(~nodes["is_leaf"].astype(bool))[0]
    nodes["left"][inner] = 10_000
    with pytest.raises(UnsafeArtifact, match="out-of-range"):
        serialization.loads(serialization.dumps(model))
