#!/usr/bin/env python3
# pi_rates.py TRAWL CONFIG DATA.jsonl [DATA.jsonl ...] -- the prompt-injection
# detector's decisions (threat_score >= 0.5, as `trawl detect` exits 1) on
# labelled rows {"text", "label", "source"}, counted per source: how many
# rows, how many flagged. Runs `trawl detect --only prompt_injection
# --config CONFIG --jsonl -` once on all rows. Prints one line per source:
#   SOURCE LABEL ROWS FLAGGED
# Standard library only (tools/pi_loso.sh reads it).
import json, subprocess, sys


def main():
    trawl, config, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = []
    for path in files:
        with open(path, encoding='utf-8') as f:
            for line in f:
                r = json.loads(line)
                rows.append((r['source'], int(r['label']), r['text']))
    feed = ''.join(json.dumps({'prompt': t}, ensure_ascii=False) + '\n' for _, _, t in rows)
    out = subprocess.run([trawl, 'detect', '--only', 'prompt_injection', '--config', config,
                          '--threads', '2', '--jsonl', '-'], input=feed.encode(),
                         stdout=subprocess.PIPE, check=False).stdout.decode()
    score = {}
    for line in out.splitlines():
        r = json.loads(line)
        if 'error' in r:
            sys.exit(f'pi_rates: line {r["line"]}: {r["error"]}')
        score[r['line']] = r['threat_score']
    if len(score) != len(rows):
        sys.exit(f'pi_rates: {len(score)} reports for {len(rows)} rows')
    count = {}
    for i, (src, label, _) in enumerate(rows):
        c = count.setdefault((src, label), [0, 0])
        c[0] += 1
        c[1] += score[i + 1] >= 0.5
    for (src, label), (n, k) in sorted(count.items()):
        print(src, label, n, k)


if __name__ == '__main__':
    main()
