"""The PyTorch peer (shared/bench/peer_torch.py) kept alive, so that bench/run.ts can time its steps in
the same rounds as ours, block by block (bench/peer.ts, PeerServer). One JSON request a line on
stdin, one JSON reply a line on stdout:

  {"cmd": "row", "model": m, "arch": a, "warmup": w}
      builds peer_torch's step for m and a (its seed and data), warms it up with each intra-op thread
      count (1 and every core), times a short block with each and keeps the faster, as the peer's own
      command does -> {"threads": t, "ms_by_threads": {...}}
  {"cmd": "block", "steps": n}  -> {"ms": ms per step of n steps of the current row}

Errors reply {"error": "..."}. It ends when stdin closes.
"""
import importlib.util, json, os, sys, time

spec = importlib.util.spec_from_file_location('peer_torch', sys.argv[1])
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)
torch = peer.torch


def timed(step, n):
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n * 1000


step = None
for line in sys.stdin:
    try:
        req = json.loads(line)
        if req['cmd'] == 'row':
            by_threads = {}
            steps = {}
            for t in sorted({1, len(os.sched_getaffinity(0))}):
                torch.set_num_threads(t)
                torch.manual_seed(0)
                x = torch.rand(peer.B, 1, 28, 28) * 2 - 1
                steps[t] = peer.make_step(req['model'], req['arch'], x)
                timed(steps[t], max(1, req.get('warmup', 3)))
                by_threads[t] = round(timed(steps[t], max(2, req.get('warmup', 3))), 3)
            best = min(by_threads, key=by_threads.get)
            torch.set_num_threads(best)
            step = steps[best]
            reply = {'threads': best, 'ms_by_threads': by_threads, 'peer': 'pytorch-' + torch.__version__}
        elif req['cmd'] == 'block':
            if step is None:
                raise ValueError('no row yet')
            reply = {'ms': timed(step, int(req['steps']))}
        else:
            raise ValueError('unknown cmd ' + str(req.get('cmd')))
    except Exception as e:  # the reply names it; the bench falls back or notes it
        reply = {'error': type(e).__name__ + ': ' + str(e)}
    print(json.dumps(reply), flush=True)
