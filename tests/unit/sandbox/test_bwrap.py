"""The bubblewrap command line: what a step sees, who it runs as, and its limits."""

from __future__ import annotations

import sys
from pathlib import Path

from designer.sandbox import bwrap
from designer.sandbox.limits import MB

REPOSITORY = str(Path(__file__).resolve().parents[3])


def layout(**changes: object) -> bwrap.Layout:
    values: dict[str, object] = {
        "uid": 2_000_000_007,
        "as_root": True,
        "interpreter": bwrap.interpreter(site=True),
        "binds": (("/srv/harness", "/sandbox/harness"),),
        "tmp_bytes": 64 * MB,
        "shm_bytes": 32 * MB,
        "env": {"LANG": "C.UTF-8"},
    }
    values.update(changes)
    return bwrap.Layout(**values)  # type: ignore[arg-type]


def pairs(args: list[str], option: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == option]


def test_namespaces_lifetime_and_a_minimal_read_only_view() -> None:
    args = bwrap.argv(layout(), ["python", "harness.py"], info_fd=5, block_fd=6)
    isolation = "--unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup"
    for option in f"{isolation} --die-with-parent --new-session --clearenv".split():
        assert option in args
    assert "--bind" not in args and "--dev-bind" not in args and "--share-net" not in args
    assert args[args.index("--info-fd") + 1] == "5" and args[args.index("--block-fd") + 1] == "6"
    mounted = pairs(args, "--ro-bind")
    assert ("/usr", "/usr") in mounted and ("/srv/harness", "/sandbox/harness") in mounted
    for source, _ in mounted:  # the venv may sit in the repository; the repository never shows
        assert source != REPOSITORY and not source.startswith(REPOSITORY + "/designer")
    tmpfs = [args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"]
    sizes = [args[i + 1] for i, a in enumerate(args) if a == "--size"]
    assert tmpfs == ["/tmp", "/dev/shm"] and sizes == [str(64 * MB), str(32 * MB)]
    assert ("../tmp", "/var/tmp") in pairs(args, "--symlink")
    env = dict(pairs(args, "--setenv"))
    assert env == {"LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
    assert args[-2:] == ["python", "harness.py"]


def test_as_root_a_real_uid_of_its_own_and_no_capabilities() -> None:
    args = bwrap.argv(layout(), ["python"], info_fd=5, block_fd=6)
    assert "--unshare-user" not in args
    drop = args[args.index("setpriv") :]
    expected = "--reuid=2000000007 --regid=2000000007 --clear-groups --inh-caps=-all"
    for option in f"{expected} --ambient-caps=-all --bounding-set=-all --no-new-privs".split():
        assert option in drop
    assert drop[-2:] == ["--", "python"]


def test_as_another_user_the_uid_is_mapped_in_a_user_namespace() -> None:
    args = bwrap.argv(layout(as_root=False), ["python"], info_fd=5, block_fd=6)
    assert "setpriv" not in args
    assert args[args.index("--uid") + 1] == "2000000007" and "--unshare-user" in args


def test_the_standard_library_only_interpreter_sees_no_packages() -> None:
    bare = bwrap.interpreter(site=False)
    assert not bare.site and bare.paths == (str(Path(sys.base_prefix).resolve()),)
    full = bwrap.interpreter(site=True)
    assert full.site and all(not p.startswith(REPOSITORY + "/designer") for p in full.paths)
    args = bwrap.argv(layout(interpreter=bare, binds=()), ["python"], info_fd=5, block_fd=6)
    made = {args[i + 1]: i for i, a in enumerate(args) if a == "--dir"}
    for i, option in enumerate(args):  # traversable parents exist before each mount point
        if option == "--ro-bind":
            parent = Path(args[i + 2]).parent
            while str(parent) not in ("/", "/usr"):
                assert made[str(parent)] < i
                parent = parent.parent
