"""Write a PEP 503 "simple" index of hand-made wheels (no build backend needed).

    python3 pypi-index.py SIMPLE_DIR

SIMPLE_DIR/index.html lists the projects; SIMPLE_DIR/<project>/index.html links its wheel
(next to it) with its sha256. The projects: mirrortest-hello 1.0 (what the tests install)
and six 1.17.0 (a stand-in with the real name: `mirror use --verify` downloads `six`).
"""
import base64
import hashlib
import os
import sys
import zipfile

simple = sys.argv[1]


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel(project, module, ver, tag, code):
    name = project.replace("-", "_")
    files = {
        f"{module}": code,
        f"{name}-{ver}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {project}\nVersion: {ver}\nSummary: test\n".encode()
        ),
        f"{name}-{ver}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
        ),
    }
    record = "".join(f"{p},{digest(d)},{len(d)}\n" for p, d in files.items())
    files[f"{name}-{ver}.dist-info/RECORD"] = (record + f"{name}-{ver}.dist-info/RECORD,,\n").encode()
    pkgdir = os.path.join(simple, project)
    os.makedirs(pkgdir, exist_ok=True)
    whl = f"{name}-{ver}-{tag}.whl"
    with zipfile.ZipFile(os.path.join(pkgdir, whl), "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            z.writestr(zipfile.ZipInfo(p, date_time=(2024, 1, 1, 0, 0, 0)), d)
    with open(os.path.join(pkgdir, whl), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(pkgdir, "index.html"), "w") as f:
        f.write(f'<!DOCTYPE html>\n<html><body><a href="{whl}#sha256={sha}">{whl}</a></body></html>\n')


wheel("mirrortest-hello", "mirrortest_hello/__init__.py", "1.0", "py3-none-any",
      b"GREETING = 'hello from the loopback pypi mirror'\n")
wheel("six", "six.py", "1.17.0", "py2.py3-none-any", b"PY3 = True\n")
with open(os.path.join(simple, "index.html"), "w") as f:
    f.write('<!DOCTYPE html>\n<html><body><a href="mirrortest-hello/">mirrortest-hello</a>\n'
            '<a href="six/">six</a></body></html>\n')
