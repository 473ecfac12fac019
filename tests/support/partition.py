"""A loopback TCP proxy that a test partitions: a network between its clients and a server
that silently stops carrying packets, then comes back without the connections it outlived."""

from __future__ import annotations

import selectors
import socket
import threading


class Partition:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target`, in a thread, until `cut()`.

    Cut, it moves no byte either way and accepts no connection, yet closes nothing: clients
    see a peer that never answers (dropped packets, no FIN or RST). `heal()` carries new
    connections again, but the ones it cut stay silent for good: their server end is closed
    (as a server or a firewall forgets a connection it heard nothing from) and the client end
    is left open, swallowing what the client sends (as a stateful firewall drops packets of a
    connection it no longer knows). Only a client that times out and reconnects gets through.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.flowing = threading.Event()
        self.flowing.set()
        self.lock = threading.Lock()  # held while forwarding: `cut` waits for a quiet moment
        self.silenced: list[socket.socket] = []
        self.closed = False
        self.thread = threading.Thread(target=self._forward, name="partition", daemon=True)
        self.thread.start()

    def url(self, db: int = 0) -> str:
        """A Redis URL through the proxy."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cut(self) -> None:
        """Stop carrying anything (returns once nothing is in flight)."""
        with self.lock:
            self.flowing.clear()

    def heal(self) -> None:
        """Carry new connections again; the cut ones stay silent."""
        with self.lock:
            pairs = {key.data for key in self.selector.get_map().values() if key.data}
            for client, server in pairs:
                self._unregister(client, server)
                server.close()
                self.silenced.append(client)
            self.flowing.set()

    def close(self) -> None:
        """Stop the proxy and close every socket."""
        self.closed = True
        self.flowing.set()
        self.thread.join()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        for client in self.silenced:
            client.close()

    def _forward(self) -> None:
        while not self.closed:
            self.flowing.wait()
            events = self.selector.select(timeout=0.1)
            with self.lock:
                if not self.flowing.is_set():
                    continue  # cut while selecting: what is ready waits for `heal`
                for key, _ in events:
                    if key.fileobj is self.listener:
                        self._accept()
                    elif key.fileobj.fileno() != -1:  # type: ignore[union-attr]
                        self._carry(key.fileobj, *key.data)  # type: ignore[arg-type]

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        try:
            server = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            client.close()
            return
        self.selector.register(client, selectors.EVENT_READ, (client, server))
        self.selector.register(server, selectors.EVENT_READ, (client, server))

    def _carry(self, source: socket.socket, client: socket.socket, server: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data:
                (server if source is client else client).sendall(data)
                return
        except OSError:
            pass
        self._unregister(client, server)
        client.close()
        server.close()

    def _unregister(self, client: socket.socket, server: socket.socket) -> None:
        self.selector.unregister(client)
        self.selector.unregister(server)
