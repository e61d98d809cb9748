"""Replace the ``features:`` section of ``fullcycle.yaml``, keeping the rest of its text."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import yaml

from fullcycle.contract import Contract
from fullcycle.errors import ScopeError


def write_features(path: str | Path, contract: Contract) -> None:
    """Write ``contract`` as the ``features:`` section of the file at ``path``, atomically.

    Comments and text outside the section stay as they are; comments inside it are replaced.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScopeError(str(path), [f"cannot be read: {exc}"]) from None
    section = _dump(contract)
    span = _section_span(text, str(path))
    lines = text.splitlines(keepends=True)
    if span is None:
        tail = "" if not text or text.endswith("\n") else "\n"
        new = text + tail + section
    else:
        start, end = span
        new = "".join(lines[:start]) + section + "".join(lines[end:])
    check = yaml.safe_load(new)
    if not isinstance(check, dict) or Contract.from_dict(check["features"]) != contract:
        raise ScopeError(
            str(path),
            ["features: the rewritten section did not read back; the file was left unchanged"],
        )
    _replace(path, new)


def _dump(contract: Contract) -> str:
    body = yaml.safe_dump(
        {"features": contract.to_dict()},
        sort_keys=False,
        default_flow_style=None,
        width=100,
        allow_unicode=True,
    )
    return body if body.endswith("\n") else body + "\n"


def _section_span(text: str, source: str) -> tuple[int, int] | None:
    """0-based [start, end) line range of the top-level ``features:`` key and its value."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ScopeError(source, [f"not valid YAML, features not written: {exc}"]) from None
    if not isinstance(root, yaml.MappingNode):
        raise ScopeError(source, ["must be a mapping of sections; features not written"])
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "features":
            return key.start_mark.line, _last_line(value) + 1
    return None


def _last_line(node: yaml.Node) -> int:
    """The 0-based line where the node's own text ends (trailing comments excluded)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        children = (
            [v for pair in node.value for v in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if children:
            return max(_last_line(child) for child in children)
    end = node.end_mark
    # a mark at column 0 means the node ended with the previous line's newline
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


def _replace(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
