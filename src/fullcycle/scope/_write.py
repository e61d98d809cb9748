"""Replace the ``features:`` section of an existing scope file, keeping every other line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from fullcycle.contract import Contract
from fullcycle.errors import ScopeError


def features_yaml(contract: Contract) -> str:
    """The section as text: one flow mapping per column, so a long contract stays readable."""
    data = contract.to_dict()
    out = ["features:", "  columns:"]
    if not data["columns"]:
        out[-1] += " []"
    out += [f"    - {_flow(column)}" for column in data["columns"]]
    if "target" in data:
        out.append(f"  target: {_flow(data['target'])}")
    return "\n".join(out) + "\n"


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000,
                          allow_unicode=True).strip()


def write_features(path: str | Path, contract: Contract) -> None:
    """Swap the file's ``features:`` section for ``contract``, atomically (temp file + rename)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScopeError(str(path), [f"cannot update the features section: {exc}"]) from None
    if not isinstance(node, yaml.MappingNode):
        raise ScopeError(str(path), ["(line 1): the file must be a mapping of keys"])
    lines = text.splitlines(keepends=True)
    section = features_yaml(contract)
    span = _span(node, lines)
    if span is None:
        tail = "" if not lines or lines[-1].endswith("\n") else "\n"
        new = text + tail + "\n" + section
    else:
        start, end = span
        new = "".join(lines[:start]) + section + "".join(lines[end:])
    _check(path, new, contract)
    _replace(path, new)


def _span(node: yaml.MappingNode, lines: list[str]) -> tuple[int, int] | None:
    """Line range [start, end) of the top-level ``features`` entry, trailing comments excluded."""
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "features":
            start = key.start_mark.line
            end = value.end_mark.line + (1 if value.end_mark.column > 0 else 0)
            end = max(end, start + 1)
            while end > start + 1 and _loose(lines[end - 1]):
                end -= 1
            return start, end
    return None


def _loose(line: str) -> bool:
    """Blank, or a comment at the margin (it belongs to the next section)."""
    return not line.strip() or line.startswith("#")


def _check(path: Path, text: str, contract: Contract) -> None:
    data = yaml.safe_load(text)
    if Contract.from_dict(data.get("features")) != contract:
        raise ScopeError(str(path), ["features section could not be written back faithfully"])


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
