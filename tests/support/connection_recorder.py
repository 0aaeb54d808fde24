"""A TCP listener on 127.0.0.1 that only counts who connects: the proof that nobody did.

    with ConnectionRecorder() as recorder:
        ...  # point something at recorder.url
    assert recorder.connection_count == 0

Each accepted connection is recorded and closed at once, so a client that does connect sees an
error instead of hanging.
"""

from __future__ import annotations

import selectors
import socket
import threading

from tests.support.background import Background


class ConnectionRecorder(Background):
    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self.peers: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="connection-recorder", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self.peers)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._record_pending()
        self._listener.close()

    def _record_pending(self) -> None:
        # Connections the kernel completed but the loop had not accepted yet still count.
        for _ in range(1024):
            try:
                connection, peer = self._listener.accept()
            except BlockingIOError:
                return
            with self._lock:
                self.peers.append(peer)
            connection.close()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not selector.select(timeout=0.05):
                    continue
                self._record_pending()
