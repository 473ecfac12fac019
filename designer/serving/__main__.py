"""`python -m designer.serving serve`: start the scoring process(es) on one port."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path


def listening_socket(host: str, port: int) -> socket.socket:
    """The port's socket, shared by the worker processes.

    Made with IPPROTO_TCP, not 0 as uvicorn's own: asyncio turns TCP_NODELAY on only for
    sockets that say they are TCP, and without it a response's header and body writes wait
    for the client's delayed ACK, some 40 ms a call.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


KEEP_ALIVE_SECONDS = 75  # as common load balancers' idle timeout


def exit_with_parent(parent: int) -> None:
    """Send this process SIGTERM (uvicorn's graceful stop) once `parent` is gone, even if it
    was killed without a chance to stop us."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m designer.serving")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the deployed versions' scorers")
    serve.add_argument(
        "--store",
        required=True,
        help="the artifact store the control plane deploys to: a folder, or s3://bucket/prefix "
        "(AWS_* variables); bundles, the routing table and the figures are there",
    )
    serve.add_argument(
        "--bundles",
        type=Path,
        required=True,
        help="this host's scoring folder (the keys' rate limits when there is no Redis)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)
    serve.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: CPUs)"
    )
    serve.add_argument("--max-body", type=int, default=None, help="body limit in bytes")
    serve.add_argument(
        "--flush-seconds", type=float, default=None, help="how often the figures are written"
    )
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one exits (the web server's supervisor)",
    )
    args = parser.parse_args(argv)

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ["DESIGNER_SCORING_BUNDLES"] = str(args.bundles.resolve())
    store = args.store if "://" in args.store else str(Path(args.store).resolve())
    os.environ["DESIGNER_SCORING_STORE"] = store
    if args.max_body is not None:
        os.environ["DESIGNER_SCORING_MAX_BODY"] = str(args.max_body)
    if args.flush_seconds is not None:
        os.environ["DESIGNER_SCORING_FLUSH_SECONDS"] = str(args.flush_seconds)
    # one BLAS/ONNX thread per process: the processes are the parallelism
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    config = uvicorn.Config(
        "designer.serving.server:app_from_environment",
        factory=True,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # scoring clients are servers holding connections open between bursts (uvicorn: 5 s)
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    sock = listening_socket(args.host, args.port)
    if args.exit_with_parent:
        # each app process watches its parent (server.py); a supervisor of workers does too
        os.environ["DESIGNER_SCORING_EXIT_WITH_PARENT"] = "1"
        if args.workers > 1:
            exit_with_parent(os.getppid())
    if args.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
