#!/usr/bin/python3
# gen_benign_zh.py REPO_GIT_DIR PROMPTS_DIR OUT_DIR -- benign Chinese requests
# to an assistant, for the learned tier of the prompt-injection detector.
#
# Why: the permissively licensed rows of PROMPTS_DIR have Chinese text only
# in injections (CyberSecEval's machine-translated set), so a model learns
# the script itself as a sign of injection. These rows are everyday
# questions and requests written in Chinese.
#
# Source: PlexPt/awesome-chatgpt-prompts-zh (MIT licence, its LICENSE file),
# read from a bare clone REPO_GIT_DIR at the commit it has (printed):
#   question/*.md    tables "| topic | question |" of questions to a chat
#                    assistant (geography, history, programming, cooking...)
#   prompts-zh.json  "act as" requests ("我希望你担任..."); the few that ask
#                    the model to drop its rules (a jailbreak) are left out
#                    by the word list JAILBREAK below, so no injection is
#                    labelled benign.
# Rows: question texts of 6..400 characters, de-duplicated, none equal (after
# case folding and dropping white space) to a text of PROMPTS_DIR's train or
# dev split. Split by SHA-256 of the text: one in five -> the eval file
# (reported only, never learned from), the rest -> the train file, each
# capped. Deterministic. Standard library only.
import hashlib, json, re, subprocess, sys

JAILBREAK = ['忘记', '忘掉', '限制', '道德', '伦理', '越狱', '不受', '规则', '审查', '政策', '开发者模式',
             'DAN', 'jailbreak', '色情', '涩', '成人', '无视', '忽略', '绕过', '假装你没有']
N_TRAIN, N_EVAL = 900, 225


def git(repo, *args):
    return subprocess.check_output(['git', '--git-dir', repo] + list(args))


def key(t):
    return re.sub(r'\s+', '', t.lower())


def main():
    repo, prompts, out = sys.argv[1:4]
    commit = git(repo, 'rev-parse', 'HEAD').decode().strip()
    seen = set()
    for split in ('train', 'dev'):
        for line in open(f'{prompts}/{split}.jsonl', encoding='utf-8'):
            seen.add(key(json.loads(line)['text']))
    rows = []
    names = git(repo, 'ls-tree', '--name-only', 'HEAD', 'question/').decode().split()
    for name in sorted(names):
        for line in git(repo, 'show', f'HEAD:{name}').decode('utf-8', 'replace').splitlines():
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) >= 2 and not set(cells[1]) <= set('-: '):
                rows.append(('awesome_chatgpt_prompts_zh_questions', cells[-1]))
    for p in json.loads(git(repo, 'show', 'HEAD:prompts-zh.json')):
        rows.append(('awesome_chatgpt_prompts_zh_roles', p['prompt'].strip()))
    train, evalr, dup = [], [], set()
    for src, t in rows:
        k = key(t)
        if not (6 <= len(t) <= 400) or k in seen or k in dup or t in ('问题', '标题'):
            continue
        if not re.search(r'[\u4e00-\u9fff]', t) or any(w.lower() in t.lower() for w in JAILBREAK):
            continue
        dup.add(k)
        h = hashlib.sha256(t.encode()).hexdigest()
        (evalr if int(h[:8], 16) % 5 == 0 else train).append((h, src, t))
    for rows_, n, name in ((train, N_TRAIN, 'benign_zh_train.jsonl'), (evalr, N_EVAL, 'benign_zh_eval.jsonl')):
        # roles first (there are few of them), then questions, by hash
        rows_.sort(key=lambda r: (not r[1].endswith('roles'), r[0]))
        with open(f'{out}/{name}', 'w', encoding='utf-8') as f:
            for _, src, t in sorted(rows_[:n], key=lambda r: r[0]):
                f.write(json.dumps({'text': t, 'label': 0, 'source': src, 'lang': 'zh'}, ensure_ascii=False) + '\n')
        print(f'{name}: {min(n, len(rows_))} of {len(rows_)} rows', file=sys.stderr)
    print(f'PlexPt/awesome-chatgpt-prompts-zh @ {commit}', file=sys.stderr)


if __name__ == '__main__':
    main()
