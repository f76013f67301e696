#!/usr/bin/python3
"""stub_llm.py PORTFILE BODYDIR -- a stand-in for an LLM API behind nginx.

Binds 127.0.0.1 on a free port (written to PORTFILE), answers every POST
with 200 {"ok": true, "sha256": <digest of the body it received>,
"verdict": <its X-Trawl-Verdict header>} and keeps the last body in
BODYDIR/last.bin, so a test can check that a request reached it byte for
byte. Exits after 300 s at the latest (bounded)."""
import hashlib
import http.server
import json
import os
import sys
import threading


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with open(os.path.join(sys.argv[2], "last.bin"), "wb") as f:
            f.write(body)
        out = json.dumps({"ok": True, "sha256": hashlib.sha256(body).hexdigest(),
                          "verdict": self.headers.get("X-Trawl-Verdict", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(300, srv.shutdown).start()
srv.serve_forever()
