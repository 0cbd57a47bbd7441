"""Resolve a .condarc with conda's channel rules, then prove every channel URL with py-rattler.

    python check-condarc.py CONDARC PACKAGE

No conda binary can be installed on the CI machines, so this applies conda's documented
channel resolution (channels / defaults -> default_channels / custom_channels / channel_alias)
to the file that `mirror use` wrote, and then uses py-rattler (the conda-protocol engine behind
pixi) as the real client: for every resolved channel it fetches repodata (linux-64 + noarch);
(querying PACKAGE), then it solves PACKAGE over all channels in order, and installs the result into a scratch prefix.

Prints one JSON document {"channels": [...], "repodata": {url: n_records | "error: ..."},
"solved": [urls] | null, "error": str | null} and exits 0 only if everything worked.
"""
import asyncio
import json
import os
import sys
import tempfile

import rattler
from ruamel.yaml import YAML

# conda's built-in defaults on Linux (conda/base/constants.py: DEFAULT_CHANNELS_UNIX).
DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
DEFAULT_CHANNELS_UNIX = ["https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"]


def resolve(rc):
    alias = (rc.get("channel_alias") or DEFAULT_CHANNEL_ALIAS).rstrip("/")
    custom = {k: str(v).rstrip("/") for k, v in (rc.get("custom_channels") or {}).items()}
    defaults = rc.get("default_channels") or DEFAULT_CHANNELS_UNIX

    def one(c):
        c = str(c).rstrip("/")
        if "://" in c:
            return c
        if c in custom:
            return f"{custom[c]}/{c}"
        return f"{alias}/{c}"

    urls = []
    for c in rc.get("channels") or ["defaults"]:
        urls += [one(d) for d in defaults] if c == "defaults" else [one(c)]
    return list(dict.fromkeys(urls))


async def prove(urls, package, report):
    tmp = tempfile.mkdtemp()
    gateway = rattler.Gateway(cache_dir=f"{tmp}/cache")
    ok = True
    for url in urls:
        try:
            per_subdir = await gateway.query([rattler.Channel(url)], ["linux-64", "noarch"],
                                             [package], recursive=False)
            report["repodata"][url] = sum(len(r) for r in per_subdir)
        except Exception as e:  # noqa: BLE001 - report any client failure
            report["repodata"][url] = f"error: {e}"
            ok = False
    if not ok:
        report["error"] = "repodata could not be fetched for every channel"
        return False
    records = await rattler.solve([rattler.Channel(u) for u in urls], [package], gateway=gateway,
                                  platforms=["linux-64", "noarch"])
    report["solved"] = [r.url for r in records]
    await rattler.install(records, f"{tmp}/prefix", cache_dir=f"{tmp}/pkgs", show_progress=False)
    return True


def main():
    with open(sys.argv[1]) as f:
        rc = YAML(typ="safe").load(f) or {}
    report = {"channels": resolve(rc), "repodata": {}, "solved": None, "error": None}
    try:
        ok = asyncio.run(prove(report["channels"], sys.argv[2], report))
    except Exception as e:  # noqa: BLE001
        report["error"], ok = f"{type(e).__name__}: {e}", False
    print(json.dumps(report, indent=1))
    sys.stdout.flush()
    # py-rattler 0.28's background runtime threads can crash the interpreter while it
    # finalizes (SIGSEGV after the work is done): leave without finalizing.
    os._exit(0 if ok else 1)


main()
