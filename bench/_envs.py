"""Separate virtual environments for the peers we compare against (never our dependencies)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ENVS = Path(__file__).resolve().parent / ".envs"


def peer_python(name: str, requirements: list[str]) -> Path:
    """The python of ``bench/.envs/NAME``, created and installed on first use."""
    folder = ENVS / name
    python = folder / "bin" / "python"
    marker = folder / ".installed"
    wanted = "\n".join(requirements)
    if marker.is_file() and marker.read_text() == wanted:
        return python
    print(f"[bench] installing {', '.join(requirements)} into {folder} ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    marker.write_text(wanted)
    return python
