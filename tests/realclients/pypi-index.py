"""Write a PEP 503 "simple" index holding one hand-made wheel (no build backend needed).

    python3 pypi-index.py SIMPLE_DIR

SIMPLE_DIR/index.html lists mirrortest-hello; SIMPLE_DIR/mirrortest-hello/index.html links
mirrortest_hello-1.0-py3-none-any.whl (next to it) with its sha256.
"""
import base64
import hashlib
import os
import sys
import zipfile

simple = sys.argv[1]
name, ver = "mirrortest_hello", "1.0"
files = {
    f"{name}/__init__.py": b"GREETING = 'hello from the loopback pypi mirror'\n",
    f"{name}-{ver}.dist-info/METADATA": (
        f"Metadata-Version: 2.1\nName: mirrortest-hello\nVersion: {ver}\nSummary: test\n".encode()
    ),
    f"{name}-{ver}.dist-info/WHEEL": (
        b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ),
}


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


record = "".join(f"{p},{digest(d)},{len(d)}\n" for p, d in files.items())
files[f"{name}-{ver}.dist-info/RECORD"] = (record + f"{name}-{ver}.dist-info/RECORD,,\n").encode()

pkgdir = os.path.join(simple, "mirrortest-hello")
os.makedirs(pkgdir, exist_ok=True)
whl = f"{name}-{ver}-py3-none-any.whl"
with zipfile.ZipFile(os.path.join(pkgdir, whl), "w", zipfile.ZIP_DEFLATED) as z:
    for p, d in files.items():
        z.writestr(zipfile.ZipInfo(p, date_time=(2024, 1, 1, 0, 0, 0)), d)
with open(os.path.join(pkgdir, whl), "rb") as f:
    sha = hashlib.sha256(f.read()).hexdigest()
with open(os.path.join(simple, "index.html"), "w") as f:
    f.write('<!DOCTYPE html>\n<html><body><a href="mirrortest-hello/">mirrortest-hello</a></body></html>\n')
with open(os.path.join(pkgdir, "index.html"), "w") as f:
    f.write(f'<!DOCTYPE html>\n<html><body><a href="{whl}#sha256={sha}">{whl}</a></body></html>\n')
