"""Build a local Docker image for steps from the Python that runs this script: no registry needed.

    .venv/bin/python scripts/step_image.py [--tag designer-step:local] [--extra DIR]

The image holds this interpreter (its standard library and shared libraries), the packages a
step worker imports (pandas, pyarrow, scikit-learn, … taken from this environment), `python` on
PATH and a `nobody` user, and nothing else: no shell, no package manager, no project code (the
runner mounts the project read-only). `--extra DIR` adds the packages in DIR to the image's
site-packages: a step that imports them runs only in this image. The root filesystem is
streamed as a tar into `docker import`, so no base image is pulled.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

STEP_PACKAGES = (
    "numpy", "numpy.libs", "pandas", "pyarrow", "scipy", "scipy.libs", "sklearn",
    "scikit_learn.libs", "joblib", "threadpoolctl.py", "dateutil", "pytz", "tzdata", "six.py",
    "yaml", "_yaml", "cloudpickle", "narwhals", "packaging",
)  # fmt: skip
SKIPPED_DIRS = {"__pycache__", "tests", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"}


def files_under(root: Path) -> Iterator[Path]:
    """Every file and symlink under root, without tests, caches and C headers."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and d != "include"]
        for name in names:
            yield Path(folder, name)


def distribution_folders(site: Path, names: tuple[str, ...]) -> list[Path]:
    """The *.dist-info folders of the distributions that installed any of these top-level names."""
    found = []
    for dist in metadata.distributions(path=[str(site)]):
        tops = {Path(str(f)).parts[0] for f in dist.files or ()}
        if tops & set(names):
            found += [site / top for top in tops if top.endswith(".dist-info")]
    return found


def shared_libraries(binaries: list[Path]) -> set[Path]:
    """The system libraries (outside the interpreter's own tree) these binaries load."""
    found: set[Path] = set()
    for start in range(0, len(binaries), 200):
        out = subprocess.run(
            ["ldd", *map(str, binaries[start : start + 200])],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for match in re.finditer(r"(/\S+\.so[.\d]*)", out):
            path = Path(os.path.normpath(match.group(1)))
            if path.exists() and "site-packages" not in path.parts:
                found.add(path)
    return found


def add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> None:
    """Add a file, resolving symlinks into real files (the image has no host tree to point at)."""
    info = tar.gettarinfo(str(path.resolve()), arcname=arcname.lstrip("/"))
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    with path.open("rb") as handle:
        tar.addfile(info, handle)


def add_text(tar: tarfile.TarFile, arcname: str, text: str, mode: int = 0o644) -> None:
    """Add a small generated file."""
    data = text.encode()
    info = tarfile.TarInfo(arcname.lstrip("/"))
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar: tarfile.TarFile, arcname: str, mode: int = 0o755) -> None:
    """Add an empty directory."""
    info = tarfile.TarInfo(arcname.lstrip("/"))
    info.type, info.mode = tarfile.DIRTYPE, mode
    tar.addfile(info)


def write_rootfs(out: io.BufferedWriter, extra: list[Path]) -> None:
    """Stream the image's root filesystem as a tar."""
    base = Path(sys.base_prefix)
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    python = Path(sys.executable).resolve()
    image_site = subprocess.run(
        [str(python), "-I", "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    files: dict[str, Path] = {str(python): python}
    for path in files_under(stdlib):
        if "site-packages" not in path.parts and not path.parent.name.startswith("config-"):
            files[str(path)] = path
    for lib in (base / "lib").glob("libpython*.so*"):
        files[str(lib)] = lib
    for name in STEP_PACKAGES:
        source = site / name
        if source.is_file():
            files[f"{image_site}/{name}"] = source
        elif source.is_dir():
            for path in files_under(source):
                files[f"{image_site}/{path.relative_to(site)}"] = path
    for dist_info in distribution_folders(site, STEP_PACKAGES):  # so requirements can be checked
        for path in files_under(dist_info):
            files[f"{image_site}/{path.relative_to(site)}"] = path
    for folder in extra:
        for path in files_under(folder):
            files[f"{image_site}/{path.relative_to(folder)}"] = path
    binaries = [python, *(p for p in files.values() if ".so" in p.name)]
    for lib in shared_libraries(binaries):
        files.setdefault(str(lib), lib)
    with tarfile.open(fileobj=out, mode="w|") as tar:
        for folder in ("/tmp", "/etc", "/usr/local/bin"):
            add_dir(tar, folder, 0o1777 if folder == "/tmp" else 0o755)
        for arcname, path in sorted(files.items()):
            add_file(tar, path, arcname)
        link = tarfile.TarInfo("usr/local/bin/python")
        link.type, link.linkname = tarfile.SYMTYPE, str(python)
        tar.addfile(link)
        add_text(
            tar,
            "/etc/passwd",
            "root:x:0:0::/tmp:/nonexistent\nnobody:x:65534:65534::/tmp:/nonexistent\n",
        )
        add_text(tar, "/etc/group", "root:x:0:\nnogroup:x:65534:\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="designer-step:local")
    parser.add_argument("--extra", type=Path, action="append", default=[])
    args = parser.parse_args()
    importer = subprocess.Popen(
        ["docker", "import", "--change", "ENV PATH=/usr/local/bin", "-", args.tag],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert importer.stdin is not None
    write_rootfs(importer.stdin, args.extra)  # type: ignore[arg-type]
    importer.stdin.close()
    if importer.wait() != 0:
        sys.exit(f"docker import failed for {args.tag}")
    print(args.tag)


if __name__ == "__main__":
    main()
