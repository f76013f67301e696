#!/usr/bin/env python3
"""attack.py -- hostile clients for `trawl serve`, on 127.0.0.1 only.

Used by tests/cli/serve_attack*.sh (small, bounded runs in `make check`) and
by bench/attack/run.sh (`make attack`, the issue's sizes). Every mode has a
time bound; every socket is closed on exit. Attack connections can come from
another loopback address (--src 127.0.0.2: Linux routes all of 127/8 to lo),
so a per-address limit can tell the attacker from the probe client.

Each mode prints `key=value` lines that the tests compare and the figures
(served/total, RSS before/after, times) that the issue's closing note asks
for. Modes:

  bodyhold  N keyless connections each send headers and SIZE-1 body bytes,
            then hold; how many got an answer before their body was read,
            and the server's RSS before/after.
  hold      N connections from --src that trickle header bytes (slowloris,
            --trickle) or stay idle, reconnecting when closed, while a probe
            client from 127.0.0.1 sends requests: served/total and latency.
  smuggle   ambiguous framings, each on a fresh connection: the statuses
            answered, in order, and whether the server closed it.
  sse       N /v1/events subscribers from --src that never read; then a
            probe subscriber from 127.0.0.1: admitted or not, how fast.
  scan      C concurrent POST /v1/scan of SIZE zero bytes: response bytes,
            the truncation line, peak server RSS.
  drain     a slow upload in flight, SIGTERM, then a new connection: refused
            or not, and how fast; the upload's status.
"""
import argparse
import errno
import json
import os
import select
import signal
import socket
import sys
import threading
import time


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def server_pid(pid):
    """The trawl process: pid itself, or its child when pid is timeout(1)."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            if f.read().strip() != "timeout":
                return pid
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else pid
    except OSError:
        return pid


def connect(port, src=None, timeout=5.0, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_response(s, timeout=3.0, buf=b""):
    """Reads one HTTP response (status line, headers, Content-Length body);
    buf: bytes already read. Returns (status or None, headers dict, body
    bytes, leftover bytes)."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > end:
            return None, {}, b"", buf
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionError, OSError):
            return None, {}, b"", buf
        if not d:
            return None, {}, b"", buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, b"", buf
    hdr = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdr[k.strip().lower()] = v.strip()
    n = int(hdr.get("content-length", "0") or 0)
    while len(rest) < n and time.monotonic() < end:
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionError, OSError):
            break
        if not d:
            break
        rest += d
    return status, hdr, rest[:n], rest[n:]


def is_closed(s, timeout=2.0):
    """True when the peer closed (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except (ConnectionError, OSError):
        return True


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


# ---- bodyhold -------------------------------------------------------------


def mode_bodyhold(a):
    pid = server_pid(a.pid)
    before = rss_kb(pid)
    head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n%s\r\n"
            % (a.path, a.size, a.header + "\r\n" if a.header else "")).encode()
    socks, answered, refused, codes = [], 0, 0, {}
    for _ in range(a.conns):
        try:
            s = connect(a.port, a.src)
            s.sendall(head)
            s.setblocking(False)
            socks.append([s, a.size - 1])
        except OSError:
            refused += 1
    chunk = b" " * 65536
    end = time.monotonic() + a.seconds
    peak = before
    t_rss = 0.0
    while time.monotonic() < end and any(c[1] > 0 for c in socks):
        live = [c for c in socks if c[1] > 0]
        _, w, _ = select.select([], [c[0] for c in live[:1000]], [], 0.2)
        ws = set(w)
        for c in live:
            if c[0] not in ws:
                continue
            try:
                n = c[0].send(chunk[: min(len(chunk), c[1])])
                c[1] -= n
            except BlockingIOError:
                pass
            except OSError:
                c[1] = -1  # the server closed it
        if time.monotonic() - t_rss > 0.2:
            peak = max(peak, rss_kb(pid))
            t_rss = time.monotonic()
    time.sleep(a.settle)
    peak = max(peak, rss_kb(pid))
    held = rss_kb(pid)
    closed_early = sum(1 for c in socks if c[1] != 0)
    # answers that arrived: whatever each socket holds within one second
    got = {c[0]: b"" for c in socks}
    end = time.monotonic() + 1.0
    pending = set(got)
    while pending and time.monotonic() < end:
        r, _, _ = select.select(list(pending)[:1000], [], [], 0.1)
        for s in r:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            got[s] += d
            if not d or b"\r\n\r\n" in got[s]:
                pending.discard(s)
    for s, d in got.items():
        if d.startswith(b"HTTP/1."):
            st = int(d.split()[1])
            answered += 1
            codes[st] = codes.get(st, 0) + 1
        s.close()
    print("conns=%d refused=%d answered=%d codes=%s unsent_body_conns=%d"
          % (a.conns, refused, answered, json.dumps(codes, sort_keys=True), closed_early))
    print("rss_kb before=%d peak=%d held=%d" % (before, peak, held))
    print("rss_growth_mb=%.1f" % ((peak - before) / 1024.0))


# ---- hold (slowloris / idle) ------------------------------------------------


def mode_hold(a):
    pid = server_pid(a.pid)
    before = rss_kb(pid)
    head = b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000
    stop = time.monotonic() + a.seconds
    st = {"opened": 0, "refused": 0, "closed_by_server": 0, "lifetimes": []}
    conns = {}  # socket -> [opened_at, bytes_sent]
    lock = threading.Lock()

    def opener():
        while time.monotonic() < stop:
            with lock:
                need = a.conns - len(conns)
            for _ in range(need):
                try:
                    s = connect(a.port, a.src, timeout=1.0)
                    s.setblocking(False)
                    with lock:
                        conns[s] = [time.monotonic(), 0]
                        st["opened"] += 1
                except OSError:
                    st["refused"] += 1
                    if not a.reconnect:
                        break
            if not a.reconnect:
                return
            time.sleep(0.2)

    def trickler():
        tick = 0
        while time.monotonic() < stop:
            time.sleep(min(1.0, a.interval))
            tick += 1
            with lock:
                items = list(conns.items())
            for s, c in items:
                dead = False
                try:
                    if s.recv(4096) == b"":
                        dead = True
                except BlockingIOError:
                    pass
                except OSError:
                    dead = True
                if not dead and a.trickle:
                    try:
                        s.send(head[c[1] % len(head):c[1] % len(head) + 1])
                        c[1] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        dead = True
                if dead:
                    with lock:
                        conns.pop(s, None)
                        st["closed_by_server"] += 1
                        st["lifetimes"].append(time.monotonic() - c[0])
                    s.close()

    th = [threading.Thread(target=opener), threading.Thread(target=trickler)]
    for t in th:
        t.start()
    time.sleep(a.ramp)
    served, total, lat = 0, 0, []
    peak = rss_kb(pid)
    while time.monotonic() < stop - 0.5:
        total += 1
        t0 = time.monotonic()
        try:
            s = connect(a.port, None, timeout=a.probe_timeout)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            code, _, _, _ = read_response(s, a.probe_timeout)
            s.close()
            if code == 200:
                served += 1
                lat.append(time.monotonic() - t0)
        except OSError:
            pass
        peak = max(peak, rss_kb(pid))
        time.sleep(max(0.0, a.probe_every - (time.monotonic() - t0)))
    for t in th:
        t.join()
    with lock:
        held = len(conns)
        for s in conns:
            s.close()
    life = st["lifetimes"]
    print("probe served=%d/%d p50_ms=%.1f max_ms=%.1f"
          % (served, total, pct(lat, 0.5) * 1e3, (max(lat) if lat else float("nan")) * 1e3))
    print("attack opened=%d refused=%d closed_by_server=%d held_at_end=%d lifetime_s p50=%.1f max=%.1f"
          % (st["opened"], st["refused"], st["closed_by_server"], held, pct(life, 0.5),
             max(life) if life else float("nan")))
    print("rss_kb before=%d peak=%d" % (before, peak))
    print("probe_ok=%s" % ("yes" if served == total and total > 0 else "no"))


# ---- slow (one connection, timed) ------------------------------------------


def mode_slow(a):
    """One connection: headers (trickled at --head-rate bytes/s, or at once)
    then a body at --body-rate bytes/s; when the server ends it, and how."""
    body = b'{"prompt":"' + b"x" * max(0, a.size - 14) + b'"}'
    head = (b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
            b"X-Pad: %s\r\n\r\n" % (len(body), b"p" * a.pad))
    s = connect(a.port, a.src)
    s.setblocking(False)
    t0 = time.monotonic()
    out, sent = "", 0
    stream = head + body
    hlen = len(head)
    while time.monotonic() - t0 < a.seconds and sent < len(stream):
        rate = a.head_rate if sent < hlen else a.body_rate
        n = len(stream) - sent if rate <= 0 else max(1, int(rate * 0.05))
        if sent < hlen:
            n = min(n, hlen - sent)
        try:
            sent += s.send(stream[sent:sent + n])
        except BlockingIOError:
            pass
        except OSError:
            out = "closed"
            break
        try:
            d = s.recv(4096)
            out = "closed" if not d else "answered:" + d.split()[1].decode()
            break
        except BlockingIOError:
            pass
        except OSError:
            out = "closed"
            break
        if rate > 0:
            time.sleep(0.05)
    if not out:
        s.setblocking(True)
        code, _, _, _ = read_response(s, max(1.0, a.seconds - (time.monotonic() - t0)))
        out = "answered:%s" % code if code else ("closed" if is_closed(s, 0.1) else "open")
    dt = time.monotonic() - t0
    s.close()
    print("outcome=%s after_s=%.1f sent=%d/%d" % (out, dt, sent, len(stream)))


# ---- smuggle ----------------------------------------------------------------

HIDDEN = b"GET /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n"

SMUGGLE = [
    # name, request bytes (a pipelined request may follow in the same write)
    ("dup-cl", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n"
     % len(HIDDEN) + HIDDEN),
    ("dup-cl-same", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"
     + HIDDEN),
    ("cl-te", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n" + HIDDEN),
    ("te-gzip", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}"),
    ("te-chunked-space", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked \r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n"),
    ("te-list", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n"),
    ("te-dup", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n"),
    ("te-http10", b"POST /v1/detect HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n"),
    ("te-space-name", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding : chunked\r\n\r\n"
     b"{}" + HIDDEN),
    ("te-folded", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n"),
    ("cl-folded", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n 0\r\n\r\n{}" + HIDDEN),
    ("te-get", b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN),
    ("cl-get", b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(HIDDEN) + HIDDEN),
    # controls: well-framed requests keep the connection
    ("ok-cl", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" + HIDDEN),
    ("ok-chunked", b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n" + HIDDEN),
]


def mode_smuggle(a):
    for name, req in SMUGGLE:
        if a.only and name not in a.only.split(","):
            continue
        t0 = time.monotonic()
        try:
            s = connect(a.port)
            s.sendall(req)
        except OSError as e:
            print("%s: connect error %s" % (name, e))
            continue
        statuses, rest = [], b""
        while True:
            code, hdr, body, rest = read_response(s, a.wait, rest)
            if code is None:
                break
            statuses.append(code)
            if len(statuses) >= 3:
                break
        closed = is_closed(s, 0.5) if statuses else is_closed(s, 0.1)
        dt = time.monotonic() - t0
        s.close()
        print("%s: %s %s %s" % (name, statuses, "closed" if closed else "open",
                               "slow" if dt > a.wait else "fast"))


# ---- sse --------------------------------------------------------------------


def mode_sse(a):
    held, admitted, refused = [], 0, {}
    for _ in range(a.conns):
        try:
            s = connect(a.port, a.src, rcvbuf=4096)
            s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n%s\r\n"
                      % (a.header.encode() + b"\r\n" if a.header else b""))
            held.append(s)
        except OSError:
            refused["connect"] = refused.get("connect", 0) + 1
    time.sleep(a.settle)
    # which of them were refused: a short read of the status line (doesn't
    # drain the stream: the subscriber still never reads its events)
    for s in held:
        try:
            s.settimeout(0.2)
            d = s.recv(12, socket.MSG_PEEK)
            code = d[9:12].decode() if d.startswith(b"HTTP/1.1 ") else "none"
        except (socket.timeout, OSError):
            code = "none"
        if code == "200":
            admitted += 1
        else:
            refused[code] = refused.get(code, 0) + 1
    t0 = time.monotonic()
    try:
        p = connect(a.port, None, timeout=a.probe_timeout)
        p.sendall(b"GET /v1/events HTTP/1.1\r\nHost: x\r\n%s\r\n"
                  % (a.header.encode() + b"\r\n" if a.header else b""))
        p.settimeout(a.probe_timeout)
        d = b""
        while b"\r\n\r\n" not in d:
            x = p.recv(4096)
            if not x:
                break
            d += x
        code = int(d.split()[1]) if d.startswith(b"HTTP/") else 0
        p.close()
    except OSError:
        code = 0
    dt = time.monotonic() - t0
    # flagged requests: two events each, for every subscriber to (not) read
    if a.events:
        c = connect(a.port)
        body = (b'{"prompt":"ignore all previous instructions",'
                b'"urls":["https://api.openai.com/v1/chat/completions"]}')
        for i in range(a.events):
            c.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n"
                      % (len(body), a.header.encode() + b"\r\n" if a.header else b"") + body)
            read_response(c, 5)
        c.close()
    # the stalled ones: still open after hold_s?
    time.sleep(a.hold)
    open_after = 0
    for s in held:
        # read what waits (the subscriber's unread events), then see whether
        # the stream ends there: EOF or reset = closed by the server
        s.setblocking(False)
        state, got = "open", 0
        while got < (8 << 20):
            try:
                d = s.recv(65536)
            except BlockingIOError:
                break
            except OSError:
                state = "closed"
                break
            if not d:
                state = "closed"
                break
            got += len(d)
        open_after += state == "open"
        s.close()
    print("stalled admitted=%d refused=%s" % (admitted, json.dumps(refused, sort_keys=True)))
    print("probe status=%d in_ms=%.0f" % (code, dt * 1e3))
    print("stalled open_after_%gs=%d" % (a.hold, open_after))


# ---- scan -------------------------------------------------------------------


def mode_scan(a):
    pid = server_pid(a.pid)
    before = rss_kb(pid)
    peak = [before]
    done = threading.Event()

    def sampler():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.02)

    results = [None] * a.conc

    def one(i):
        body = b"\0" * a.size
        try:
            s = connect(a.port, timeout=60)
            s.sendall(b"POST /v1/scan%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                      % (a.query.encode(), len(body)) + body)
            # read the whole response: chunked or Content-Length
            s.settimeout(60)
            buf = b""
            while b"\r\n\r\n" not in buf:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            head, rest = buf.split(b"\r\n\r\n", 1)
            clen = None
            for ln in head.split(b"\r\n")[1:]:
                if ln.lower().startswith(b"content-length:"):
                    clen = int(ln.split(b":", 1)[1])
            total = len(rest)
            tail = rest[-4096:]
            t0 = time.monotonic()
            while clen is None or total < clen:
                d = s.recv(1 << 20)
                if not d:
                    break
                total += len(d)
                tail = (tail + d)[-4096:]
                if b"0\r\n\r\n" in tail[-5:] and b"chunked" in head.lower():
                    break
                if time.monotonic() - t0 > 60:
                    break
            s.close()
            trunc = [ln.split(b":", 1)[1].strip().decode() for ln in head.split(b"\r\n")[1:]
                     if ln.lower().startswith(b"x-trawl-truncated:")]
            results[i] = (head.split(b"\r\n")[0].decode(), total, tail, head,
                          trunc[0] if trunc else "-")
        except OSError as e:
            results[i] = ("error %s" % e, 0, b"", b"", "-")

    th = threading.Thread(target=sampler)
    th.start()
    t0 = time.monotonic()
    ws = [threading.Thread(target=one, args=(i,)) for i in range(a.conc)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    dt = time.monotonic() - t0
    done.set()
    th.join()
    r = results[0]
    last = [ln for ln in r[2].split(b"\n") if ln.strip() and not ln.strip().isdigit()]
    lastline = last[-1].decode("latin-1") if last else ""
    if "\r" in lastline:
        lastline = lastline.split("\r")[-1]
    print("status=%s response_bytes=%d truncated=%s seconds=%.2f"
          % (r[0], r[1], r[4], dt))
    print("last_line=%s" % lastline[-300:])
    print("rss_kb before=%d peak=%d growth_mb=%.1f" % (before, peak[0], (peak[0] - before) / 1024.0))


# ---- drain ------------------------------------------------------------------


def mode_drain(a):
    pid = server_pid(a.pid)
    up = connect(a.port)
    body = b" " * a.size + b'{"prompt":"x"}'
    up.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
    up.sendall(body[:100])
    time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.2)
    t0 = time.monotonic()
    try:
        s = connect(a.port, timeout=a.wait)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        code, _, _, _ = read_response(s, a.wait)
        outcome = "accepted:%s" % code
        s.close()
    except ConnectionRefusedError:
        outcome = "refused"
    except socket.timeout:
        outcome = "timeout"
    except OSError as e:
        outcome = "error:%s" % errno.errorcode.get(e.errno, e.errno)
    dt = time.monotonic() - t0
    # finish the upload: it began before the signal, so it is served
    up.sendall(body[100:])
    code, _, _, _ = read_response(up, 10)
    up.close()
    print("new_connection=%s in_ms=%.0f" % (outcome, dt * 1e3))
    print("upload_status=%s" % code)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("bodyhold")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--pid", type=int, required=True)
    b.add_argument("--conns", type=int, default=100)
    b.add_argument("--size", type=int, default=1 << 20)
    b.add_argument("--path", default="/v1/detect")
    b.add_argument("--header", default="")
    b.add_argument("--src", default=None)
    b.add_argument("--seconds", type=float, default=30)
    b.add_argument("--settle", type=float, default=0.5)
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--pid", type=int, required=True)
    h.add_argument("--conns", type=int, default=100)
    h.add_argument("--src", default="127.0.0.2")
    h.add_argument("--trickle", action="store_true")
    h.add_argument("--reconnect", action="store_true")
    h.add_argument("--interval", type=float, default=1.0)
    h.add_argument("--seconds", type=float, default=20)
    h.add_argument("--ramp", type=float, default=2)
    h.add_argument("--probe-every", type=float, default=0.5)
    h.add_argument("--probe-timeout", type=float, default=2)
    w = sub.add_parser("slow")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--src", default=None)
    w.add_argument("--size", type=int, default=1000)
    w.add_argument("--pad", type=int, default=200)
    w.add_argument("--head-rate", type=float, default=0)
    w.add_argument("--body-rate", type=float, default=0)
    w.add_argument("--seconds", type=float, default=20)
    s = sub.add_parser("smuggle")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--wait", type=float, default=3)
    s.add_argument("--only", default="")
    e = sub.add_parser("sse")
    e.add_argument("--port", type=int, required=True)
    e.add_argument("--conns", type=int, default=64)
    e.add_argument("--src", default="127.0.0.2")
    e.add_argument("--header", default="")
    e.add_argument("--settle", type=float, default=0.5)
    e.add_argument("--hold", type=float, default=0)
    e.add_argument("--events", type=int, default=0)
    e.add_argument("--probe-timeout", type=float, default=5)
    c = sub.add_parser("scan")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--size", type=int, default=1 << 20)
    c.add_argument("--conc", type=int, default=1)
    c.add_argument("--query", default="")
    d = sub.add_parser("drain")
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--pid", type=int, required=True)
    d.add_argument("--size", type=int, default=3000)
    d.add_argument("--wait", type=float, default=3)
    a = p.parse_args()
    {"bodyhold": mode_bodyhold, "hold": mode_hold, "slow": mode_slow, "smuggle": mode_smuggle, "sse": mode_sse,
     "scan": mode_scan, "drain": mode_drain}[a.mode](a)


if __name__ == "__main__":
    main()
