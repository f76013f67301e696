#!/usr/bin/env python3
"""gen_bodies.py PROMPTS.jsonl OUT N [small] -- N request bodies for the
load test, one JSON object per line: realistic ~1 KB prompts built from the
shared prompt set (benign and injection rows in their natural mix; short
prompts are joined with the next ones until about 1 KB); with "small", the
unified input of every detector on small values (a prompt row as it is, cut
to 256 bytes, two URLs, a connection, a process, a client id). When
PROMPTS.jsonl does not exist (no ../shared/data), the rows are generated
English-like text from a fixed seed, so the open-loop points still run."""
import json, os, random, sys

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
small = len(sys.argv) > 4 and sys.argv[4] == "small"
if os.path.exists(src):
    rows = [json.loads(l)["text"] for l in open(src, encoding="utf-8")]
else:
    r = random.Random(7)
    words = ("the a delivery customer note report please summarise arrived late box damaged "
             "team support resolved quickly order invoice refund account address meeting").split()
    rows = [" ".join(r.choice(words) for _ in range(40)) for _ in range(500)]
bodies, i = [], 0
hosts = ["api.openai.com", "example.com", "api.anthropic.com", "docs.python.org"]
while small and len(bodies) < n and rows:
    k = len(bodies)
    bodies.append(json.dumps({
        "prompt": rows[k % len(rows)].encode()[:256].decode("utf-8", "ignore"),
        "urls": ["https://%s/v1/x" % hosts[k % 4], "https://%s/" % hosts[(k + 1) % 4]],
        "connections": [{"host": "127.0.0.1", "port": [443, 11434, 8080][k % 3]}],
        "processes": [{"name": ["bash", "ollama", "python3"][k % 3], "pid": 100 + k}],
        "client_id": "c%d" % (k % 50),
    }, ensure_ascii=False))
while len(bodies) < n and rows:
    text = rows[i % len(rows)]
    i += 1
    while len(text.encode()) < 900:
        text += "\n" + rows[i % len(rows)]
        i += 1
    text = text.encode()[:1024].decode("utf-8", "ignore")
    bodies.append(json.dumps({"prompt": text}, ensure_ascii=False))
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(bodies) + "\n")
