"""Build the conda channels a TUNA-style `anaconda` mirror serves, with py-rattler's indexer.

    python conda-channels.py ANACONDA_DIR

ANACONDA_DIR/pkgs/main and ANACONDA_DIR/cloud/conda-forge carry mirrortest-hello 1.0 (noarch);
pkgs/r and pkgs/msys2 are valid but empty channels. Each channel gets noarch/ and linux-64/
repodata (repodata.json, .zst and shards), written by rattler.index.index_fs.
"""
import asyncio
import hashlib
import io
import json
import os
import sys
import tarfile

from rattler.index import index_fs

root = sys.argv[1]
payload = b"hello from the loopback conda mirror\n"
rel = "share/mirrortest-hello/README"
index = {"name": "mirrortest-hello", "version": "1.0", "build": "0", "build_number": 0, "depends": [],
         "noarch": "generic", "subdir": "noarch", "license": "MIT", "timestamp": 1700000000000}
paths = {"paths_version": 1, "paths": [{"_path": rel, "path_type": "hardlink",
                                        "sha256": hashlib.sha256(payload).hexdigest(),
                                        "size_in_bytes": len(payload)}]}


def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime = len(data), 1700000000
    t.addfile(ti, io.BytesIO(data))


async def main():
    for ch, with_pkg in [("pkgs/main", True), ("pkgs/r", False), ("pkgs/msys2", False),
                         ("cloud/conda-forge", True)]:
        d = os.path.join(root, ch)
        os.makedirs(os.path.join(d, "noarch"), exist_ok=True)
        os.makedirs(os.path.join(d, "linux-64"), exist_ok=True)
        if with_pkg:
            with tarfile.open(os.path.join(d, "noarch", "mirrortest-hello-1.0-0.tar.bz2"), "w:bz2") as t:
                add(t, "info/index.json", json.dumps(index).encode())
                add(t, "info/paths.json", json.dumps(paths).encode())
                add(t, "info/files", (rel + "\n").encode())
                add(t, rel, payload)
        await index_fs(d, force=True)


asyncio.run(main())
# py-rattler 0.28's background runtime threads can crash the interpreter while it finalizes
# (SIGSEGV / "PyGILState_Release" abort after the work is done): leave without finalizing.
sys.stdout.flush()
os._exit(0)
