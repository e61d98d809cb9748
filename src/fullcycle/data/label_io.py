"""Label tasks out (CSV, JSON Lines, Label Studio tasks) and labels back in.

Label Studio tasks carry the row under ``data.item`` (shown by a ``<Table>``), our task id
under ``data.fc_task_id``, and the model's prediction as a pre-annotation for a ``<Choices>``
control named ``label``; :func:`label_studio_config` writes the matching labelling config.
Import reads CSV or JSON Lines (``task_id``, ``label``, optional ``labeller``) and each of Label
Studio's exports: JSON (``annotations[].result[].value.choices``), JSON-MIN (one flat record per
annotation: ``fc_task_id``, ``fc_request_id``, ``label``, ``annotator``) and CSV (the same
columns). Task ids written as floats (``3.0``) are read as the integers they are.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return, and not a plain number) are written with a leading ``'`` (OWASP's
advice against CSV injection); import takes that quote off again.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from fullcycle.errors import InvalidInput
from fullcycle.records import LabelTask

EXPORT_FORMATS = ("csv", "jsonl", "labelstudio")
FROM_NAME, TO_NAME = "label", "row"
MAX_LABEL_FILE = 256 << 20


@dataclass(frozen=True)
class Entry:
    """One label read from a file: where it was (for errors), for which task, by whom, what."""

    where: str
    task_id: int | None
    request_id: str | None
    labeller: str
    label: Any


def export(tasks: Sequence[LabelTask], path: str | os.PathLike[str], fmt: str) -> int:
    """Write ``tasks`` to ``path`` as ``fmt``; returns how many were written."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    target = Path(path)
    if fmt == "csv":
        _write_csv(tasks, target)
    elif fmt == "jsonl":
        with open(target, "w", encoding="utf-8") as fh:
            for t in tasks:
                fh.write(json.dumps(_plain(t), ensure_ascii=False) + "\n")
    else:
        target.write_text(
            json.dumps([_studio(t) for t in tasks], ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return len(tasks)


def _predicted(t: LabelTask) -> Any:
    return (t.prediction or {}).get("label")


def _plain(t: LabelTask) -> dict[str, Any]:
    return {
        "task_id": t.id,
        "batch": t.batch,
        "request_id": t.request_id,
        "reason": t.reason,
        "data": t.row,
        "prediction": _predicted(t),
        "proba": (t.prediction or {}).get("proba"),
        "label": None,
        "labeller": None,
    }


def _write_csv(tasks: Sequence[LabelTask], target: Path) -> None:
    columns: dict[str, None] = {}
    for t in tasks:
        columns.update(dict.fromkeys(t.row))
    head = ["task_id", "batch", "request_id", "reason", "prediction"]
    fields = head + [c for c in columns if c not in head] + ["label", "labeller"]
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for t in tasks:
            cells = {
                **t.row,
                "task_id": t.id,
                "batch": t.batch,
                "request_id": t.request_id or "",
                "reason": t.reason,
                "prediction": _predicted(t),
                "label": "",
                "labeller": "",
            }
            writer.writerow({k: escape_cell(v) for k, v in cells.items()})


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading
    ``'`` (numbers, such as -3.5, are left alone)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell`."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _studio(t: LabelTask) -> dict[str, Any]:
    task: dict[str, Any] = {
        "data": {
            "item": t.row,
            "fc_task_id": t.id,
            "fc_request_id": t.request_id,
            "fc_reason": t.reason,
        }
    }
    predicted = _predicted(t)
    if predicted is not None:
        proba = (t.prediction or {}).get("proba") or {}
        task["predictions"] = [
            {
                "model_version": t.source,
                "score": max((p for p in proba.values() if p is not None), default=None),
                "result": [
                    {
                        "from_name": FROM_NAME,
                        "to_name": TO_NAME,
                        "type": "choices",
                        "value": {"choices": [str(predicted)]},
                    }
                ],
            }
        ]
    return task


def label_studio_config(classes: Sequence[Any]) -> str:
    """The Label Studio labelling config matching the exported tasks."""
    choices = "\n".join(f"    <Choice value={quoteattr(str(c))}/>" for c in classes)
    return (
        f'<View>\n  <Table name="{TO_NAME}" value="$item"/>\n'
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single">\n'
        f"{choices}\n  </Choices>\n</View>\n"
    )


def read_labels(path: str | os.PathLike[str], default_labeller: str = "anonymous") -> list[Entry]:
    """The labels in a CSV, JSON Lines or Label Studio export file."""
    source = Path(path)
    if not source.is_file():
        raise InvalidInput(f"{source}: no such file", hint="check the path")
    if source.stat().st_size > MAX_LABEL_FILE:
        raise InvalidInput(f"{source.name} is larger than {MAX_LABEL_FILE >> 20} MiB")
    suffix = source.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(source, default_labeller)
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(source, default_labeller)
        if suffix == ".json":
            return _read_studio(source, default_labeller)
    except UnicodeDecodeError:
        raise InvalidInput(f"{source.name} is not valid UTF-8", hint="save it as UTF-8") from None
    except csv.Error as exc:
        raise InvalidInput(f"{source.name} is not a readable CSV file: {exc}") from None
    except RecursionError:
        raise InvalidInput(
            f"{source.name}: the JSON is nested too deeply to be a label file",
            hint="export the labels again (CSV, JSON Lines or a Label Studio export)",
        ) from None
    raise InvalidInput(
        f"{source.name}: unknown label file type {suffix!r}",
        hint="use .csv, .jsonl, or .json (a Label Studio JSON export)",
    )


def _task_id(raw: Any, where: str) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if text.endswith(".0"):  # a spreadsheet or Label Studio's CSV wrote the integer as a float
        text = text[:-2]
    if isinstance(raw, bool) or not text.isdigit():
        raise InvalidInput(f"{where}: task_id {raw!r} is not a task number")
    return int(text)


def _entry(where: str, rec: dict[str, Any], default: str) -> Entry | None:
    label = unescape_cell(rec.get("label"))
    if label is None or (isinstance(label, str) and not label.strip()):
        return None
    studio = "fc_task_id" in rec or "fc_request_id" in rec  # Label Studio's JSON-MIN or CSV
    request = unescape_cell(rec.get("request_id") or rec.get("fc_request_id")) or None
    task = _task_id(rec.get("task_id", rec.get("fc_task_id")), where)
    if task is None and request is None:
        raise InvalidInput(
            f"{where}: a label without task_id or request_id",
            hint="keep the task_id column of the exported file",
        )
    if isinstance(label, dict):  # JSON-MIN writes {"choices": [...]} for several choices
        label = _single(label.get("choices"), where)
    who = str(unescape_cell(rec.get("labeller")) or "") or (
        _who(rec.get("annotator"), default) if studio else str(rec.get("annotator") or default)
    )
    return Entry(where, task, None if request is None else str(request), who[:128], label)


def _read_csv(path: Path, default: str) -> list[Entry]:
    out = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "label" not in reader.fieldnames:
            raise InvalidInput(
                f"{path.name}: no 'label' column",
                hint="fill in the label column of the exported CSV",
            )
        for rec in reader:
            entry = _entry(f"{path.name} line {reader.line_num}", rec, default)
            if entry is not None:
                out.append(entry)
    return out


def _read_jsonl(path: Path, default: str) -> list[Entry]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(rec, dict):
                raise InvalidInput(f"{where}: expected a JSON object")
            entry = _entry(where, rec, default)
            if entry is not None:
                out.append(entry)
    return out


def _read_studio(path: Path, default: str) -> list[Entry]:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path.name} line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(tasks, list):
        raise InvalidInput(f"{path.name}: expected a list of tasks (Label Studio's JSON export)")
    if tasks and all(isinstance(t, dict) and "data" not in t for t in tasks):
        return _read_studio_min(path, tasks, default)
    out = []
    for i, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            raise InvalidInput(
                f"{path.name} task {i}: no 'data' object",
                hint="give Label Studio's JSON, JSON-MIN or CSV export",
            )
        where = f"{path.name} task {task.get('id', i)}"
        task_id = _task_id(data.get("fc_task_id"), where)
        request = data.get("fc_request_id")
        for ann in task.get("annotations") or []:
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            label = _choice(ann, f"{where} annotation {ann.get('id', '?')}")
            if label is None:
                continue
            rec = {
                "task_id": task_id,
                "request_id": request,
                "label": label,
                "labeller": _who(ann.get("completed_by"), default),
            }
            entry = _entry(f"{where} annotation {ann.get('id', '?')}", rec, default)
            if entry is not None:
                out.append(entry)
    return out


def _read_studio_min(path: Path, records: list[Any], default: str) -> list[Entry]:
    """Label Studio's JSON-MIN export: one flat record per annotation."""
    out = []
    for i, rec in enumerate(records):
        where = f"{path.name} record {i}"
        if "fc_task_id" not in rec and "fc_request_id" not in rec:
            raise InvalidInput(
                f"{where}: no fc_task_id or fc_request_id",
                hint="export from the Label Studio project the fullcycle tasks were imported into",
            )
        entry = _entry(where, rec, default)
        if entry is not None:
            out.append(entry)
    return out


def _single(choices: Any, where: str) -> Any:
    if not isinstance(choices, list) or len(choices) != 1:
        n = len(choices) if isinstance(choices, list) else 0
        raise InvalidInput(f"{where}: {n} choices given, expected one")
    return choices[0]


def _choice(annotation: dict[str, Any], where: str) -> Any:
    for item in annotation.get("result") or []:
        if not isinstance(item, dict) or item.get("type") != "choices":
            continue
        choices = (item.get("value") or {}).get("choices") or []
        if len(choices) > 1:
            raise InvalidInput(f"{where}: {len(choices)} choices given, expected one")
        if choices:
            return choices[0]
    return None


def _who(completed_by: Any, default: str) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id") or default)
    if completed_by is None or completed_by == "":
        return default
    return f"user-{completed_by}"
