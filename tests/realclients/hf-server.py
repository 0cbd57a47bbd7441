"""A tiny Hugging Face Hub on 127.0.0.1, for huggingface_hub's real-client test.

    python3 hf-server.py PORT LOG

Serves one model repository, mirrortest/hello, under the prefix /loop: the Hub API document
(GET /loop/api/models/mirrortest/hello) and its files (HEAD and GET
/loop/mirrortest/hello/resolve/<revision>/<file>) with the headers huggingface_hub relies on
(X-Repo-Commit, ETag, Content-Length). Every other path, /broken/... included, is 404.
Each request is appended to LOG as "METHOD PATH STATUS".
"""
import hashlib
import http.server
import json
import sys

port, log = int(sys.argv[1]), sys.argv[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
FILES = {"config.json": json.dumps({"model_type": "mirrortest", "greeting": "hello from the loopback Hub"}).encode()}
INFO = json.dumps(
    {
        "_id": "mirrortest", "id": "mirrortest/hello", "modelId": "mirrortest/hello", "sha": COMMIT,
        "lastModified": "2024-12-01T00:00:00.000Z", "private": False, "gated": False, "disabled": False,
        "tags": [], "siblings": [{"rfilename": f} for f in FILES],
    }
).encode()


class Hub(http.server.BaseHTTPRequestHandler):
    def answer(self, body_wanted):
        path = self.path.split("?")[0]
        status, headers, body = 404, {"Content-Type": "text/plain", "X-Error-Code": "EntryNotFound"}, b"404\n"
        if path == "/loop/api/models/mirrortest/hello" or path.startswith("/loop/api/models/mirrortest/hello/revision/"):
            status, headers, body = 200, {"Content-Type": "application/json"}, INFO
        elif path.startswith("/loop/mirrortest/hello/resolve/"):
            name = path.rsplit("/", 1)[-1]
            if name in FILES:
                body = FILES[name]
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                status, headers = 200, {"Content-Type": "application/octet-stream", "ETag": etag, "X-Repo-Commit": COMMIT}
        with open(log, "a") as f:
            f.write(f"{self.command} {path} {status}\n")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body_wanted:
            self.wfile.write(body)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Hub).serve_forever()
