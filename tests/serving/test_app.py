"""Routes driven in-process over ASGI: shapes, headers, and every bad-input case of
RELIABILITY.md section A (1-8)."""

from __future__ import annotations

import pickle

import orjson
import pytest
from serving_fixtures import FEATURES, MODEL, rows

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}


def body(records: object) -> bytes:
    return orjson.dumps({"records": records})


async def test_predict_answers_with_version_request_id_and_probabilities(make_client):
    async with make_client() as client:
        r = await client.post(
            "/predict", json={"records": rows(3)}, headers={"X-Request-ID": "abc-123"}
        )
    assert r.status_code == 200
    out = r.json()
    assert out["request_id"] == "abc-123" == r.headers["x-request-id"]
    assert out["version"] == 1 and r.headers["x-model-version"] == "1"
    assert len(out["predictions"]) == 3 and set(out["predictions"]) <= {"no", "yes"}
    assert out["classes"] == ["no", "yes"]
    assert all(abs(sum(p) - 1) < 1e-9 for p in out["probabilities"])


async def test_columns_and_data_form_gives_the_same_predictions(make_client):
    recs = rows(4)
    async with make_client() as client:
        a = (await client.post("/predict", json={"records": recs})).json()
        b = (
            await client.post(
                "/predict",
                json={"columns": FEATURES, "data": [[r[f] for f in FEATURES] for r in recs]},
            )
        ).json()
    assert a["predictions"] == b["predictions"]
    assert a["probabilities"] == b["probabilities"]


async def test_a_bad_request_id_header_is_replaced_by_a_fresh_one(make_client):
    async with make_client() as client:
        r = await client.post(
            "/predict", json={"records": rows(1)}, headers={"X-Request-ID": "../../etc/passwd"}
        )
    assert r.status_code == 200
    assert r.headers["x-request-id"] != "../../etc/passwd"
    assert len(r.headers["x-request-id"]) == 32


async def test_open_inference_protocol_routes_have_the_spec_shapes(make_client):
    async with make_client() as client:
        assert (await client.get("/v2/health/live")).json() == {"live": True}
        assert (await client.get("/v2/health/ready")).json() == {"ready": True, "degraded": False}
        meta = (await client.get("/v2")).json()
        assert meta["name"] == "fullcycle" and "version" in meta and meta["extensions"] == []
        model = (await client.get(f"/v2/models/{MODEL}")).json()
        assert model["name"] == MODEL and model["versions"] == ["1"]
        assert [i["name"] for i in model["inputs"]] == FEATURES
        assert {i["datatype"] for i in model["inputs"]} == {"FP64"}
        ready = (await client.get(f"/v2/models/{MODEL}/ready")).json()
        assert ready == {"name": MODEL, "ready": True}
        missing = await client.get("/v2/models/other/ready")
        assert missing.status_code == 404 and "other" in missing.json()["error"]
        recs = rows(2)
        infer = {
            "id": "req-7",
            "inputs": [
                {"name": f, "datatype": "FP64", "shape": [2], "data": [r[f] for r in recs]}
                for f in FEATURES
            ],
        }
        r = await client.post(f"/v2/models/{MODEL}/infer", json=infer)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_name"] == MODEL and out["model_version"] == "1" and out["id"] == "req-7"
    pred, proba = out["outputs"]
    assert pred["name"] == "predict" and pred["shape"] == [2] and pred["datatype"] == "BYTES"
    assert proba["shape"] == [2, 2] and len(proba["data"]) == 4


async def test_server_not_ready_without_a_deployment(make_client):
    async with make_client(production=None) as client:
        assert (await client.get("/v2/health/ready")).status_code == 503
        assert (await client.get("/v2/health/live")).status_code == 200
        r = await client.post("/predict", json={"records": rows(1)})
    assert r.status_code == 503 and "no model" in r.json()["error"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"records": [{"f0": 1',
        b'{"records": [],}',
        b"\xef\xbb\xbf" + body(rows(1)),
        b'{"records": [{"f0": "\xff\xfe"}]}',
        b"",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"[" * 70 + b"NaN" + b"]" * 70,
    ],
)
async def test_malformed_json_is_400_with_a_json_error_and_the_server_keeps_serving(
    make_client, raw
):
    async with make_client() as client:
        r = await client.post("/predict", content=raw, headers=JSON)
        assert r.status_code == 400, r.text
        assert r.json()["kind"] == "MalformedInput" and "Traceback" not in r.text
        assert (await client.post("/predict", json={"records": rows(1)})).status_code == 200


@pytest.mark.parametrize(
    "token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 1_000_000]
)
async def test_non_finite_numbers_are_422_naming_the_feature(make_client, token):
    raw = (
        '{"records": [{"f0": 1.0, "f1": 2.0, "f2": 3.0, "f3": 0.5}, '
        f'{{"f0": 1.0, "f1": 2.0, "f2": {token}, "f3": 0.5}}]}}'
    ).encode()
    async with make_client() as client:
        r = await client.post("/predict", content=raw, headers=JSON)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["violations"] == [
        {"row": 1, "field": "f2", "problem": r.json()["violations"][0]["problem"]}
    ]
    assert "finite" in r.json()["violations"][0]["problem"]


@pytest.mark.parametrize("value", ["1.5", True, [1.0], {"x": 1}, None])
async def test_wrong_types_are_422_with_row_and_field(make_client, value):
    recs = rows(3)
    recs[2]["f1"] = value
    async with make_client() as client:
        r = await client.post("/predict", content=body(recs), headers=JSON)
    assert r.status_code == 422
    (v,) = r.json()["violations"]
    assert (v["row"], v["field"]) == (2, "f1")


async def test_missing_and_extra_columns_name_the_signature(make_client):
    recs = rows(2)
    del recs[0]["f3"]
    recs[1]["surprise"] = 1.0
    async with make_client() as client:
        r = await client.post("/predict", content=body(recs), headers=JSON)
    assert r.status_code == 422
    found = {(v["row"], v["field"]) for v in r.json()["violations"]}
    assert found == {(0, "f3"), (1, "surprise")}
    assert all("f0" in v["problem"] for v in r.json()["violations"])


@pytest.mark.parametrize(
    "payload",
    [
        {"records": []},
        {"records": {"f0": 1}},
        {"rows": []},
        [1, 2],
        {"columns": ["f0"], "data": [[1, 2]]},
        {"records": [1, 2]},
    ],
)
async def test_empty_batch_and_wrong_shapes_are_422(make_client, payload):
    async with make_client() as client:
        r = await client.post("/predict", json=payload)
    assert r.status_code == 422, r.text
    assert r.json()["violations"]


async def test_a_bad_request_in_a_batch_does_not_spoil_the_others(make_client):
    import asyncio

    good, bad = rows(1), [{"f0": "nope"}]
    async with make_client() as client:
        answers = await asyncio.gather(
            *[
                client.post("/predict", json={"records": bad if i % 4 == 0 else good})
                for i in range(40)
            ]
        )
    codes = [a.status_code for a in answers]
    assert codes == [422 if i % 4 == 0 else 200 for i in range(40)]


async def test_body_over_the_limit_is_413_whatever_the_headers_say(make_client):
    big = b'{"records": [' + b'{"f0": 1.0},' * 200_000 + b"{}]}"
    assert len(big) > 1024 * 1024

    async def chunks():
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    async with make_client() as client:
        declared = await client.post("/predict", content=big, headers=JSON)
        chunked = await client.post("/predict", content=chunks(), headers=JSON)
        lying = await client.post(
            "/predict", content=big, headers={**JSON, "content-length": "100"}
        )
        ok = await client.post("/predict", json={"records": rows(1)})
    assert declared.status_code == chunked.status_code == lying.status_code == 413
    assert "limit" in chunked.json()["error"]
    assert ok.status_code == 200


async def test_too_many_rows_within_the_byte_limit_is_413(make_client):
    async with make_client() as client:
        r = await client.post("/predict", content=body([{}] * 20_000), headers=JSON)
    assert r.status_code == 413


@pytest.mark.parametrize(
    "ctype",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "application/python-pickle",
        "application/json; charset=latin-1",
    ],
)
async def test_anything_but_json_is_415_and_never_deserialised(make_client, ctype):
    raw = (
        pickle.dumps({"records": rows(1)})
        if "pickle" in ctype or "octet" in ctype
        else body(rows(1))
    )
    async with make_client() as client:
        r = await client.post(
            "/predict", content=raw, headers={"content-type": ctype} if ctype else {}
        )
    assert r.status_code == 415
    assert "application/json" in r.json()["error"]


async def test_a_missing_content_type_is_read_as_json_never_as_pickle(make_client):
    """Open Inference Protocol clients (tritonclient) send no Content-Type."""
    async with make_client() as client:
        ok = await client.post("/predict", content=body(rows(2)))
        pickled = await client.post("/predict", content=pickle.dumps({"records": rows(1)}))
    assert ok.status_code == 200 and len(ok.json()["predictions"]) == 2
    assert pickled.status_code == 400 and pickled.json()["kind"] == "MalformedInput"


async def test_every_response_carries_request_id_even_errors(make_client):
    async with make_client() as client:
        for r in [
            await client.post("/predict", content=b"{", headers=JSON),
            await client.post("/predict", content=b"x", headers={"content-type": "a/b"}),
            await client.get("/v2/models/nope"),
        ]:
            assert r.headers["x-request-id"] == r.json()["request_id"]
            assert r.headers["x-model-version"] == "1"


async def test_a_slow_sender_times_out_with_408_and_others_are_served(make_client):
    import asyncio

    async def trickle():
        yield b'{"records": ['
        await asyncio.sleep(5)
        yield b"]}"

    async with make_client(app_options={"body_timeout_s": 0.2}) as client:
        slow = asyncio.create_task(client.post("/predict", content=trickle(), headers=JSON))
        fast = await client.post("/predict", json={"records": rows(1)})
        r = await slow
    assert fast.status_code == 200
    assert r.status_code == 408 and "0.2 s" in r.json()["error"]


async def test_the_openapi_document_lists_every_route_with_request_bodies(make_client):
    async with make_client() as client:
        doc = (await client.get("/openapi.json")).json()
    paths = set(doc["paths"])
    assert {
        "/predict",
        "/feedback",
        "/metrics",
        "/admin/reload",
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/infer",
    } <= paths
    body = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert "records" in body["schema"]["properties"]


async def test_unknown_paths_and_methods_answer_a_json_error(make_client):
    async with make_client() as client:
        missing = await client.get("/v2/nothing/here")
        wrong = await client.get("/predict")
    assert missing.status_code == 404 and "no such path" in missing.json()["error"]
    assert missing.headers["x-request-id"]
    assert wrong.status_code == 405 and "error" in wrong.json()


def v2_inputs(datatype: str = "FP64", first: object = None) -> list[dict[str, object]]:
    row = rows(1)[0]
    tensors = [{"name": f, "datatype": datatype, "shape": [1], "data": [v]} for f, v in row.items()]
    if first is not None:
        tensors[0] = {**tensors[0], "datatype": "BOOL", "data": [first]}
    return tensors


async def test_v2_checks_each_declared_datatype_against_its_data(make_client):
    async with make_client() as client:
        ok = await client.post(f"/v2/models/{MODEL}/infer", json={"inputs": v2_inputs()})
        lying = await client.post(
            f"/v2/models/{MODEL}/infer", json={"inputs": v2_inputs(first=30.5)}
        )
        odd = await client.post(f"/v2/models/{MODEL}/infer", json={"inputs": v2_inputs("FP99")})
    assert ok.status_code == 200
    assert lying.status_code == 422 and "datatype BOOL but data holds '30.5'" in lying.text
    assert odd.status_code == 422 and "FP99" in odd.json()["error"]


async def test_v2_metadata_types_inputs_as_the_validator_accepts_them(make_client):
    async with make_client() as client:
        meta = (await client.get(f"/v2/models/{MODEL}")).json()
        versioned = await client.get(f"/v2/models/{MODEL}/versions/1")
        missing = await client.get(f"/v2/models/{MODEL}/versions/5/ready")
        infer_missing = await client.post(
            f"/v2/models/{MODEL}/versions/5/infer", json={"inputs": v2_inputs()}
        )
    assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == [(f, "FP64") for f in FEATURES]
    assert meta["platform"] == "sklearn"
    assert versioned.status_code == 200 and versioned.json()["inputs"] == meta["inputs"]
    assert missing.status_code == 404 and "not loaded" in missing.json()["error"]
    assert infer_missing.status_code == 404 and "not loaded" in infer_missing.json()["error"]


async def test_v2_binary_tensors_are_read_and_bad_lengths_are_400(make_client):
    import numpy as np

    x = np.array([list(r.values()) for r in rows(2)], dtype="<f8")
    head = orjson.dumps(
        {
            "inputs": [
                {
                    "name": f,
                    "datatype": "FP64",
                    "shape": [2],
                    "parameters": {"binary_data_size": 16},
                }
                for f in FEATURES
            ]
        }
    )
    blob = b"".join(x[:, j].tobytes() for j in range(len(FEATURES)))
    url = f"/v2/models/{MODEL}/infer"
    async with make_client() as client:
        ok = await client.post(
            url, content=head + blob, headers={"Inference-Header-Content-Length": str(len(head))}
        )
        short = await client.post(
            url,
            content=head + blob[:-3],
            headers={"Inference-Header-Content-Length": str(len(head))},
        )
        liar = await client.post(
            url, content=head + blob, headers={"Inference-Header-Content-Length": "999999"}
        )
        plain = await client.post("/predict", json={"records": rows(2)})
    assert ok.status_code == 200
    assert ok.json()["outputs"][0]["data"] == plain.json()["predictions"]
    assert short.status_code == 422 and "binary_data_size" in short.json()["error"]
    assert liar.status_code == 400 and "Inference-Header-Content-Length" in liar.json()["error"]
