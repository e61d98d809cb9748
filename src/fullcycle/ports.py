"""Local TCP ports for the servers fullcycle starts as child processes (the demo, the tests).

A port from :func:`free_port` is free when it is picked, and another process can take it before
the child binds it: the kernel hands a just-released port to the next process that asks for a
free one. A "ready" answer on that port then comes from a stranger's server while the child
has not bound yet (or fails to). :func:`listens` tells whether the child itself holds the
listening socket, so whoever waits for the child waits for its own server.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["free_port", "listens"]

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at this moment (see the module's note on what that is
    worth)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _listening_inodes(port: int) -> set[str] | None:
    inodes: set[str] = set()
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes if readable else None


def listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds a listening TCP socket on ``port``: True or False on
    Linux (read from /proc), None where that cannot be told."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return False  # the process is gone (or not ours to look at)
    for name in names:
        try:
            if os.readlink(f"{fd_dir}/{name}") in wanted:
                return True
        except OSError:
            continue  # closed meanwhile
    return False
