#!/usr/bin/env python3
"""gen_bodies.py PROMPTS.jsonl OUT N -- N request bodies for the load test:
realistic ~1 KB prompts built from the shared prompt set (benign and
injection rows in their natural mix; short prompts are joined with the next
ones until about 1 KB), one JSON object per line."""
import json, sys

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(l)["text"] for l in open(src, encoding="utf-8")]
bodies, i = [], 0
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
