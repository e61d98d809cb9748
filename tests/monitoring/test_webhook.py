import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from fullcycle.monitoring.webhook import BlockedURL, check_url, send


def fixed(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "224.0.0.1",
        "100.64.0.1",
        "fd00::1",
    ],
)
def test_addresses_that_are_not_public_are_blocked(address: str) -> None:
    with pytest.raises(BlockedURL, match="refusing"):
        check_url("https://hooks.example.com/x", ["hooks.example.com"], resolver=fixed(address))


def test_one_bad_address_among_several_blocks_the_call() -> None:
    with pytest.raises(BlockedURL):
        check_url("https://h.example/x", ["h.example"], resolver=fixed("93.184.216.34", "10.1.1.1"))


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/",
    ],
)
def test_literal_and_encoded_local_hosts_are_blocked_by_the_real_resolver(url: str) -> None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    with pytest.raises(BlockedURL):
        check_url(url, [host])


def test_hosts_not_allowed_and_odd_urls_are_blocked() -> None:
    with pytest.raises(BlockedURL, match="not in monitoring.alert.allowed_hosts"):
        check_url("https://evil.example/", ["hooks.example.com"], resolver=fixed("93.184.216.34"))
    for url in ("file:///etc/passwd", "gopher://x/", "https://user:pw@h.example/", "http:///x"):
        with pytest.raises(BlockedURL):
            check_url(url, ["h.example"], resolver=fixed("93.184.216.34"))


def test_the_connection_is_pinned_to_the_checked_address() -> None:
    pinned, host = check_url(
        "https://h.example/hook?a=1", ["h.example"], resolver=fixed("93.184.216.34")
    )
    assert pinned == "https://93.184.216.34:443/hook?a=1" and host == "h.example"


@pytest.fixture
def local_server() -> Iterator[tuple[int, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/redirect":
                self.send_response(307)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
                return
            received.append({"host": self.headers["Host"], "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


def test_a_redirect_to_the_metadata_address_is_blocked_on_the_hop(
    local_server: tuple[int, list[dict]],
) -> None:
    port, received = local_server
    # loopback is allowed here only so the test has a server to talk to
    status = send(
        f"http://hooks.test:{port}/ok",
        {"alert": "drift"},
        ["hooks.test"],
        resolver=fixed("127.0.0.1"),
        allow_loopback=True,
    )
    assert status == 204
    assert received == [{"host": "hooks.test", "body": {"alert": "drift"}}]
    with pytest.raises(BlockedURL):
        send(
            f"http://hooks.test:{port}/redirect",
            {"alert": "x"},
            ["hooks.test", "169.254.169.254"],
            resolver=lambda h, p: ["127.0.0.1"] if h == "hooks.test" else ["169.254.169.254"],
            allow_loopback=True,
        )
    assert len(received) == 1
