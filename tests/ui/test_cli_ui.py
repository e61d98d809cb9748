"""``fullcycle ui``: refuses an open admin on the network, and which Host headers it accepts."""

from __future__ import annotations

from pathlib import Path

from fullcycle.cli import main
from fullcycle.cli.ui import allowed_hosts, is_loopback


def test_no_auth_on_a_network_address_refuses_to_start(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["ui", "--host", "0.0.0.0", "--no-auth", "-C", str(tmp_path)])
    assert code == 3
    assert "--allow-insecure" in capsys.readouterr().err


def test_allowed_hosts_are_loopback_the_bound_name_and_the_extras() -> None:
    assert allowed_hosts("127.0.0.1", []) == ["127.0.0.1", "::1", "localhost"]
    assert "ml.example.org" in allowed_hosts("0.0.0.0", ["ml.example.org"])
    assert "0.0.0.0" not in allowed_hosts("0.0.0.0", [])
    assert is_loopback("::1") and is_loopback("127.0.0.2") and not is_loopback("10.0.0.1")
