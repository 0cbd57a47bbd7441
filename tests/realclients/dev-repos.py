"""Write tiny real repositories for the developer targets' real-client tests.

    python3 dev-repos.py KIND DIR BASE_URL

KIND is one of:
- npm: an npm registry holding mirrortest-hello 1.0.0 (and is-number 7.0.0, which `mirror use
  --verify` looks up): DIR/mirrortest-hello/index.html is the package document (npm, pnpm and Yarn read it as JSON whatever its type), the tarball
  at DIR/mirrortest-hello/-/mirrortest-hello-1.0.0.tgz with its sha1 and sha512 in the
  document. BASE_URL is the registry's URL (the document names the tarball under it).
- goproxy: a Go module proxy holding example.com/mirrortest/hello v1.0.0 (list, info, mod,
  zip, @latest), per the GOPROXY protocol.
- maven: mirrortest:hello:1.0 (jar and pom, with .sha1 files) in a Maven repository layout.
- rustup: a dist server whose stable channel (manifest v2, with its .sha256) holds one
  toolchain for x86_64-unknown-linux-gnu: a `rustc` component in rust-installer format
  whose `bin/rustc` prints a greeting. The manifest names it under static.rust-lang.org,
  as the real one does; rustup puts RUSTUP_DIST_SERVER in its place.
"""
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

kind, out, base = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/")
os.makedirs(out, exist_ok=True)
STAMP = 1_733_011_200  # 2024-12-01T00:00:00Z


def write(rel, data):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def npm():
    npm_package("mirrortest-hello", "1.0.0", b"module.exports = 'hello from the loopback npm mirror';\n")
    # A stand-in with the real name: `mirror use --verify` looks up is-number.
    npm_package("is-number", "7.0.0", b"module.exports = n => typeof n === 'number';\n")


def npm_package(name, ver, code):
    pkg = {"name": name, "version": ver, "description": "test package", "main": "index.js", "license": "MIT"}
    files = {
        "package/package.json": json.dumps(pkg, indent=2).encode(),
        "package/index.js": code,
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as t:
        for p, d in files.items():
            ti = tarfile.TarInfo(p)
            ti.size, ti.mtime, ti.mode = len(d), STAMP, 0o644
            t.addfile(ti, io.BytesIO(d))
    tgz = buf.getvalue()
    rel = f"{name}/-/{name}-{ver}.tgz"
    write(rel, tgz)
    dist = {
        "shasum": hashlib.sha1(tgz).hexdigest(),
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
        "tarball": f"{base}/{rel}",
    }
    doc = {
        "_id": name,
        "name": name,
        "dist-tags": {"latest": ver},
        "versions": {ver: dict(pkg, _id=f"{name}@{ver}", dist=dist)},
        "time": {"created": "2024-12-01T00:00:00.000Z", "modified": "2024-12-01T00:00:00.000Z", ver: "2024-12-01T00:00:00.000Z"},
        "modified": "2024-12-01T00:00:00.000Z",
    }
    write(f"{name}/index.html", json.dumps(doc))


def goproxy():
    mod, ver = "example.com/mirrortest/hello", "v1.0.0"
    gomod = f"module {mod}\n\ngo 1.18\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{mod}@{ver}/go.mod", gomod)
        z.writestr(f"{mod}@{ver}/hello.go", 'package hello\n\n// Greeting is what the loopback Go proxy served.\nconst Greeting = "hello from the loopback Go proxy"\n')
    info = json.dumps({"Version": ver, "Time": "2024-12-01T00:00:00Z"})
    write(f"{mod}/@v/list", f"{ver}\n")
    write(f"{mod}/@v/{ver}.info", info)
    write(f"{mod}/@v/{ver}.mod", gomod)
    write(f"{mod}/@v/{ver}.zip", buf.getvalue())
    write(f"{mod}/@latest", info)


def maven():
    g, a, v = "mirrortest", "hello", "1.0"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: dev-repos.py\r\n\r\n")
        z.writestr("mirrortest/hello.txt", "hello from the loopback Maven mirror\n")
    pom = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        f"  <modelVersion>4.0.0</modelVersion>\n  <groupId>{g}</groupId>\n  <artifactId>{a}</artifactId>\n"
        f"  <version>{v}</version>\n  <packaging>jar</packaging>\n</project>\n"
    )
    for ext, data in (("jar", buf.getvalue()), ("pom", pom.encode())):
        rel = f"{g}/{a}/{v}/{a}-{v}.{ext}"
        write(rel, data)
        write(rel + ".sha1", hashlib.sha1(data).hexdigest())


def rustup():
    date, ver, target = "2024-12-01", "1.83.0", "x86_64-unknown-linux-gnu"
    top = f"rustc-{ver}-{target}"
    files = {
        f"{top}/rust-installer-version": (b"3\n", 0o644),
        f"{top}/components": (b"rustc\n", 0o644),
        f"{top}/rustc/manifest.in": (b"file:bin/rustc\n", 0o644),
        f"{top}/rustc/bin/rustc": (f'#!/bin/sh\necho "rustc {ver} (from the loopback rustup mirror)"\n'.encode(), 0o755),
    }
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as t:
        for p, (d, mode) in files.items():
            ti = tarfile.TarInfo(p)
            ti.size, ti.mtime, ti.mode = len(d), STAMP, mode
            t.addfile(ti, io.BytesIO(d))
    tgz = buf.getvalue()
    rel = f"dist/{date}/{top}.tar.gz"
    write(rel, tgz)
    url, digest = f"https://static.rust-lang.org/{rel}", hashlib.sha256(tgz).hexdigest()
    version = f"{ver} (90b35a623 2024-11-26)"
    manifest = f"""manifest-version = "2"
date = "{date}"

[pkg.rust]
version = "{version}"

[pkg.rust.target.{target}]
available = true
url = "{url}"
hash = "{digest}"

[[pkg.rust.target.{target}.components]]
pkg = "rustc"
target = "{target}"

[pkg.rustc]
version = "{version}"

[pkg.rustc.target.{target}]
available = true
url = "{url}"
hash = "{digest}"

[profiles]
minimal = ["rustc"]
default = ["rustc"]
complete = ["rustc"]

[renames]
"""
    write("dist/channel-rust-stable.toml", manifest)
    write("dist/channel-rust-stable.toml.sha256", f"{hashlib.sha256(manifest.encode()).hexdigest()}  channel-rust-stable.toml\n")


{"npm": npm, "goproxy": goproxy, "maven": maven, "rustup": rustup}[kind]()
