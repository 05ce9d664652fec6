#!/usr/bin/env python3
"""A GOCACHEPROG helper for fault injection (test_cacheprog): a plain
directory store that misbehaves on request.
  fake_cacheprog.py DIR [--seed=GOCACHE] [--fail-gets=N] [--slow-ms=MS] [--die-after=N] [--vanish]
--seed: what DIR lacks is looked up in a GOCACHE of go's layout (read only);
--fail-gets=N: every Nth get answers with an error; --slow-ms: every get
waits first; --die-after=N: exits (status 3) on the Nth request; --vanish:
a hit's DiskPath is removed before the answer goes out."""
import base64
import json
import os
import sys
import threading
import time

def main():
    store = sys.argv[1]
    opts = dict(a[2:].split("=", 1) if "=" in a else (a[2:], "1") for a in sys.argv[2:])
    fail_gets, slow, die_after = int(opts.get("fail-gets", 0)), int(opts.get("slow-ms", 0)), int(opts.get("die-after", 0))
    vanish = "vanish" in opts
    seed = opts.get("seed")
    os.makedirs(store, exist_ok=True)
    out_lock = threading.Lock()

    def send(obj):
        with out_lock:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

    send({"ID": 0, "KnownCommands": ["get", "put", "close"]})
    gets = 0
    n = 0
    threads = []

    def answer_get(req, fail):
        if slow:
            time.sleep(slow / 1000)
        if fail:
            send({"ID": req["ID"], "Err": "fake upstream: injected get failure"})
            return
        aid = base64.b64decode(req["ActionID"]).hex()
        meta = os.path.join(store, aid + ".json")
        entry = os.path.join(seed or "", aid[:2], aid + "-a")
        if os.path.exists(meta):
            m = json.load(open(meta))
            path = os.path.join(store, m["out"] + ".bin")
        elif seed and os.path.exists(entry):
            f = open(entry).read().split()
            m = {"out": f[2], "size": int(f[3])}
            path = os.path.join(seed, f[2][:2], f[2] + "-d")
            if os.path.isdir(path):
                path = os.path.join(path, os.listdir(path)[0])
        else:
            send({"ID": req["ID"], "Miss": True})
            return
        if vanish:
            path = os.path.join(store, "vanished-" + m["out"])
        send({"ID": req["ID"], "OutputID": base64.b64encode(bytes.fromhex(m["out"])).decode(), "Size": m["size"],
              "DiskPath": path})

    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        n += 1
        if die_after and n >= die_after:
            sys.exit(3)
        cmd = req.get("Command")
        if cmd == "put":
            body = b""
            if req.get("BodySize", 0) > 0:
                b = sys.stdin.readline()
                while not b.strip():
                    b = sys.stdin.readline()
                body = base64.b64decode(json.loads(b))
            out = base64.b64decode(req["OutputID"]).hex()
            path = os.path.join(store, out + ".bin")
            with open(path, "wb") as f:
                f.write(body)
            with open(os.path.join(store, base64.b64decode(req["ActionID"]).hex() + ".json"), "w") as f:
                json.dump({"out": out, "size": len(body)}, f)
            send({"ID": req["ID"], "DiskPath": path})
        elif cmd == "get":
            gets += 1
            t = threading.Thread(target=answer_get, args=(req, fail_gets and gets % fail_gets == 0))
            t.start()
            threads.append(t)
        elif cmd == "close":
            for t in threads:
                t.join()
            send({"ID": req["ID"]})
            return
        else:
            send({"ID": req["ID"], "Err": "unknown command"})

if __name__ == "__main__":
    main()
