"""The Open Inference Protocol v2 routes driven by NVIDIA's ``tritonclient[http]`` as it is,
against a real server on 127.0.0.1: health, metadata, readiness and infer, numeric and BYTES
inputs, JSON and binary tensors, versioned and not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_server import free_port

import trainkit
from fullcycle.project import Project
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook
from fullcycle.serving.runtime import Runtime
from fullcycle.serving.source import RegistrySource
from fullcycle.store import deployments
from fullcycle.testing import make_project

pytestmark = pytest.mark.slow  # trains three models and runs two servers (about a minute)
httpclient = pytest.importorskip("tritonclient.http")
from tritonclient.utils import InferenceServerException  # noqa: E402


def iris_project(folder: Path) -> Project:
    """scikit-learn's bundled iris (all numeric): versions 1 and 2, 1 in production, 2 canary."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame.rename(columns=lambda c: c.replace(" (cm)", ""))
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    frame["label"] = frame.pop("target").map({0: "setosa", 1: "versicolor", 2: "virginica"})
    train = [{"max_iter": 200}, {"max_iter": 300}]
    project: Project = make_project(
        folder, name="iris", data=frame, data_name="flowers", train=train
    )
    deployments.set(project._db, "iris", production=1, canary=2, canary_share=0.0, actor="test")
    return project


def mixed_project(folder: Path) -> Project:
    """Numeric, integer and categorical inputs (BYTES on the wire)."""
    project: Project = make_project(
        folder, name="churn", data=trainkit.served_frame(), data_name="customers", train=[None]
    )
    deployments.set(project._db, "churn", production=1, actor="test")
    return project


def serve(project: Project, name: str) -> Iterator[str]:
    import uvicorn

    settings = project.settings
    logbook = Logbook(project._db, settings.resolved_log_url(), model=name)
    runtime = Runtime(RegistrySource(settings, name), logbook, db=project._db, poll_s=0.05)
    app = create_app(runtime, access=Access(allowed_hosts=("127.0.0.1",)), gc_freeze=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = httpclient.InferenceServerClient(f"127.0.0.1:{port}")
    for _ in range(600):  # a condition, polled: the server answers ready
        try:
            if client.is_server_ready():
                break
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        thread.join(0.05)
    assert client.is_server_ready()
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    project.close()


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _client(serve(iris_project(tmp_path_factory.mktemp("iris")), "iris"))


@pytest.fixture(scope="module")
def churn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _client(serve(mixed_project(tmp_path_factory.mktemp("churn")), "churn"))


def _client(running: Iterator[str]) -> Iterator[Any]:
    url = next(running)
    client = httpclient.InferenceServerClient(url)
    yield client
    client.close()
    next(running, None)


def features(n: int = 5) -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data[::30][:n].astype(np.float64)


def tensor(name: str, values: np.ndarray, datatype: str, binary: bool) -> Any:
    inp = httpclient.InferInput(name, list(values.shape), datatype)
    inp.set_data_from_numpy(values, binary_data=binary)
    return inp


def test_health_metadata_and_readiness_for_the_model_and_each_loaded_version(iris):
    assert iris.is_server_live() and iris.is_server_ready()
    assert iris.is_model_ready("iris") and iris.is_model_ready("iris", "2")
    assert not iris.is_model_ready("iris", "7")
    assert iris.get_server_metadata()["name"] == "fullcycle"
    meta = iris.get_model_metadata("iris")
    assert meta["platform"] == "sklearn" and meta["versions"] == ["1", "2"]
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert [i["name"] for i in meta["inputs"]][:2] == ["sepal_length", "sepal_width"]
    assert iris.get_model_metadata("iris", "2")["name"] == "iris"
    with pytest.raises(InferenceServerException, match="version '7' is not loaded"):
        iris.get_model_metadata("iris", "7")
    with pytest.raises(InferenceServerException, match="not served here"):
        iris.get_model_metadata("tulip")


@pytest.mark.parametrize("binary", [False, True])
def test_infer_one_tensor_per_feature_typed_from_the_metadata(iris, binary):
    x = features()
    meta = iris.get_model_metadata("iris")
    inputs = [
        tensor(i["name"], x[:, [j]], i["datatype"], binary) for j, i in enumerate(meta["inputs"])
    ]
    result = iris.infer("iris", inputs)
    predicted = result.as_numpy("predict")
    assert predicted.shape == (5,)
    assert {p.decode() if isinstance(p, bytes) else p for p in predicted} <= {
        "setosa",
        "versicolor",
        "virginica",
    }
    proba = result.as_numpy("predict_proba")
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)
    assert result.get_response()["model_version"] == "1"


@pytest.mark.parametrize("binary", [False, True])
def test_one_n_by_k_fp64_tensor_in_contract_order_and_a_pinned_version(iris, binary):
    x = features()
    columns = [i["name"] for i in iris.get_model_metadata("iris")["inputs"]]
    per_feature = [tensor(c, x[:, [j]], "FP64", False) for j, c in enumerate(columns)]
    want = iris.infer("iris", per_feature, model_version="2").as_numpy("predict_proba")
    whole = iris.infer("iris", [tensor("X", x, "FP64", binary)], model_version="2")
    assert whole.get_response()["model_version"] == "2"
    assert np.allclose(whole.as_numpy("predict_proba"), want)
    with pytest.raises(InferenceServerException, match="version '9' is not loaded"):
        iris.infer("iris", [tensor("X", x, "FP64", binary)], model_version="9")


def test_requested_outputs_only(iris):
    out = httpclient.InferRequestedOutput("predict_proba", binary_data=False)
    result = iris.infer("iris", [tensor("X", features(), "FP64", False)], outputs=[out])
    assert [o["name"] for o in result.get_response()["outputs"]] == ["predict_proba"]
    assert result.as_numpy("predict") is None
    with pytest.raises(InferenceServerException, match="not produced by this model"):
        iris.infer(
            "iris",
            [tensor("X", features(), "FP64", False)],
            outputs=[httpclient.InferRequestedOutput("embedding")],
        )


def test_a_declared_datatype_must_match_its_data(iris):
    x = features()
    columns = [i["name"] for i in iris.get_model_metadata("iris")["inputs"]]
    bools = [tensor(c, x[:, [j]] > 5, "BOOL", False) for j, c in enumerate(columns)]
    with pytest.raises(InferenceServerException, match="break|datatype|expected"):
        iris.infer("iris", bools)
    raw = httpclient.InferInput(columns[0], [1], "BOOL")
    raw._data = [30.5]  # what a hand-written client sends: BOOL with a float
    rest = [tensor(c, x[:1, [j]], "FP64", False) for j, c in enumerate(columns) if j]
    with pytest.raises(InferenceServerException, match="datatype BOOL but data holds '30.5'"):
        iris.infer("iris", [raw, *rest])


@pytest.mark.parametrize("binary", [False, True])
def test_bytes_inputs_for_categories_and_typed_numbers(churn, binary):
    meta = churn.get_model_metadata("churn")
    types = {i["name"]: i["datatype"] for i in meta["inputs"]}
    assert types == {"amount": "FP64", "visits": "INT64", "city": "BYTES"}
    inputs = [
        tensor("amount", np.array([0.3, -1.2]), "FP64", binary),
        tensor("visits", np.array([2, 7], dtype=np.int64), "INT64", binary),
        tensor("city", np.array([b"paris", b"oslo"], dtype=np.object_), "BYTES", binary),
    ]
    result = churn.infer("churn", inputs, model_version="1")
    assert [p.decode() if isinstance(p, bytes) else p for p in result.as_numpy("predict")] in (
        [a, b] for a in ("yes", "no") for b in ("yes", "no")
    )
    with pytest.raises(InferenceServerException, match="every input of the model is numeric"):
        churn.infer("churn", [tensor("X", np.zeros((2, 3)), "FP64", binary)])
