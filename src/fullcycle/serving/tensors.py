"""Open Inference Protocol request tensors -> records (no web framework here).

Two layouts: one tensor per feature (shape ``[n]`` or ``[n, 1]``), or, when every input of
the contract is numeric, one ``[n, k]`` tensor whose columns are the contract's inputs in
order (what the KServe and MLServer scikit-learn runtimes take). Each tensor's declared
``datatype`` is checked against its ``data``. The binary tensor data extension is read too:
the JSON header is the first ``Inference-Header-Content-Length`` bytes, and each tensor with
``parameters.binary_data_size`` takes its bytes from the rest, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fullcycle.errors import InvalidInput
from fullcycle.serving.payload import NonFinite

INTS = {f"INT{b}" for b in (8, 16, 32, 64)} | {f"UINT{b}" for b in (8, 16, 32, 64)}
FLOATS = {"FP16", "FP32", "FP64"}
DATATYPES = INTS | FLOATS | {"BOOL", "BYTES"}
_NUMPY = {"BOOL": "?", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}


@dataclass(frozen=True)
class Inputs:
    """What the served model takes: input names in contract order, and whether all numeric."""

    names: list[str]
    numeric: bool


def _numpy_code(datatype: str) -> str:
    if datatype.startswith("UINT"):
        return f"<u{int(datatype[4:]) // 8}"
    if datatype.startswith("INT"):
        return f"<i{int(datatype[3:]) // 8}"
    return _NUMPY[datatype]


def _wrong(value: Any, datatype: str) -> bool:
    if value is None or isinstance(value, NonFinite):
        return False  # the contract decides on nulls and refuses non-finite numbers by name
    if datatype == "BOOL":
        return not isinstance(value, bool)
    if datatype == "BYTES":
        return not isinstance(value, str)
    if datatype in INTS:
        return not isinstance(value, int) or isinstance(value, bool)
    return isinstance(value, bool) or not isinstance(value, int | float)


def _flat(data: list[Any]) -> list[Any]:
    if any(isinstance(d, list) for d in data):
        return [x for d in data for x in (d if isinstance(d, list) else [d])]
    return data


def _check_tensor(i: int, tensor: Any) -> tuple[str, list[int], str]:
    if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
        raise InvalidInput(f"inputs[{i}] must be an object with name, datatype, shape, data")
    name, shape, datatype = tensor["name"], tensor.get("shape"), tensor.get("datatype")
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise InvalidInput(f"inputs[{i}] ({name}): shape must be a list of sizes")
    if len(shape) not in (1, 2):
        raise InvalidInput(f"inputs[{i}] ({name}): shape must be [n] or [n, k]")
    if datatype not in DATATYPES:
        raise InvalidInput(
            f"inputs[{i}] ({name}): datatype {str(datatype)[:20]!r} is not one of "
            f"{sorted(DATATYPES)}"
        )
    return name, shape, datatype


def _values(i: int, tensor: dict[str, Any], shape: list[int], datatype: str) -> list[Any]:
    name, data = tensor["name"], tensor.get("data")
    if not isinstance(data, list):
        raise InvalidInput(f"inputs[{i}] ({name}): data must be a list")
    flat = _flat(data)
    size = shape[0] * (shape[1] if len(shape) == 2 else 1)
    if len(flat) != size:
        raise InvalidInput(f"inputs[{i}] ({name}): {len(flat)} values do not match shape {shape}")
    bad = next((v for v in flat if _wrong(v, datatype)), _MISSING)
    if bad is not _MISSING:
        raise InvalidInput(
            f"inputs[{i}] ({name}): datatype {datatype} but data holds {str(bad)[:40]!r} "
            f"({type(bad).__name__})"
        )
    return flat


_MISSING = object()


def records_from_v2(payload: Any, inputs: Inputs | None = None) -> tuple[list[Any], str | None]:
    """Records and the request's ``id`` from a v2 inference body (already binary-decoded)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list):
        raise InvalidInput("the body must be an object with an 'inputs' list of tensors")
    tensors = payload["inputs"]
    if not tensors:
        raise InvalidInput("'inputs' is empty; send one tensor per feature")
    checked = [(_check_tensor(i, t), t) for i, t in enumerate(tensors)]
    rid = payload.get("id")
    rid = rid if isinstance(rid, str) else None
    (name, shape, datatype), tensor = checked[0]
    if len(checked) == 1 and len(shape) == 2 and shape[1] != 1:
        return _matrix(name, shape, _values(0, tensor, shape, datatype), inputs), rid
    columns: dict[str, list[Any]] = {}
    rows: int | None = None
    for i, ((name, shape, datatype), tensor) in enumerate(checked):
        if len(shape) == 2 and shape[1] != 1:
            raise InvalidInput(
                f"inputs[{i}] ({name}): shape {shape}: send one tensor per feature ([n] or "
                "[n, 1]), or a single [n, k] tensor when every input is numeric"
            )
        if rows is not None and rows != shape[0]:
            raise InvalidInput(f"inputs[{i}] ({name}): {shape[0]} rows, the others have {rows}")
        rows = shape[0]
        columns[name] = _values(i, tensor, shape, datatype)
    names = list(columns)
    return [{n: columns[n][r] for n in names} for r in range(rows or 0)], rid


def _matrix(name: str, shape: list[int], flat: list[Any], inputs: Inputs | None) -> list[Any]:
    if inputs is None or not inputs.numeric:
        raise InvalidInput(
            f"input {name!r} has shape {shape}: a single [n, k] tensor is taken only when "
            "every input of the model is numeric; send one tensor per feature"
        )
    k = len(inputs.names)
    if shape[1] != k:
        raise InvalidInput(
            f"input {name!r} has {shape[1]} columns; the model takes {k}: {inputs.names}"
        )
    return [
        dict(zip(inputs.names, flat[r * k : (r + 1) * k], strict=True)) for r in range(shape[0])
    ]


def split_binary(body: bytes, header_length: str) -> tuple[bytes, bytes]:
    """The JSON header and the binary rest of a binary-extension request."""
    if not header_length.isdigit() or int(header_length) > len(body):
        raise InvalidInput(
            f"Inference-Header-Content-Length {header_length[:20]!r} is not a length within "
            f"the body of {len(body)} bytes"
        )
    n = int(header_length)
    return body[:n], body[n:]


def attach_binary(payload: Any, blob: bytes) -> Any:
    """Fill each tensor's ``data`` from ``blob`` where it declares ``binary_data_size``."""
    import numpy as np

    offset = 0
    for i, tensor in enumerate(payload.get("inputs", []) if isinstance(payload, dict) else []):
        size = ((tensor.get("parameters") or {}) if isinstance(tensor, dict) else {}).get(
            "binary_data_size"
        )
        if size is None:
            continue
        name = tensor.get("name")
        if not isinstance(size, int) or size < 0 or offset + size > len(blob):
            raise InvalidInput(f"inputs[{i}] ({name}): binary_data_size {size!r} is out of range")
        raw, offset = blob[offset : offset + size], offset + size
        datatype = tensor.get("datatype")
        if datatype == "BYTES":
            tensor["data"] = _bytes_elements(i, name, raw)
        elif datatype in DATATYPES:
            try:
                tensor["data"] = np.frombuffer(raw, dtype=_numpy_code(datatype)).tolist()
            except ValueError:
                raise InvalidInput(
                    f"inputs[{i}] ({name}): {size} bytes are not whole {datatype} values"
                ) from None
    if offset != len(blob):
        raise InvalidInput(f"{len(blob) - offset} binary bytes are not claimed by any input")
    return payload


def _bytes_elements(i: int, name: Any, raw: bytes) -> list[str]:
    found, at = [], 0
    while at < len(raw):
        if at + 4 > len(raw):
            raise InvalidInput(f"inputs[{i}] ({name}): truncated BYTES element length")
        n = int.from_bytes(raw[at : at + 4], "little")
        chunk, at = raw[at + 4 : at + 4 + n], at + 4 + n
        if len(chunk) != n:
            raise InvalidInput(f"inputs[{i}] ({name}): truncated BYTES element")
        try:
            found.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput(f"inputs[{i}] ({name}): a BYTES element is not UTF-8") from None
    return found
