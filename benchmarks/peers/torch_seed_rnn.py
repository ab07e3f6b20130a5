#!/usr/bin/env python3
"""PyTorch peer of PERF/rnn_epoch and PERF/lstm_epoch: the SEED network on the same data shape.

Many-to-one tanh RNN (or LSTM), 28 steps × 28 features → hidden 128 → dense 10, softmax
cross-entropy, Adam lr 1e-4, batch 128, 8,000 training rows-of-MNIST images (the 10k training
digits minus the 20 % validation split; synthetic N(0,1) inputs of that shape when no MNIST file
is found — the cost is the same). Initialized as benchmarks/family_perf_rnn.cpp does (orthogonal
recurrent kernels, Glorot-uniform input kernels and read-out, zero biases). An epoch is what
isobench times: shuffle, gather each batch, train (no evaluation). One warm-up epoch, then
--epochs timed epochs (the fastest is reported), at each thread count given; one JSON line per
thread count. torch.set_num_threads does not bound Debian's OpenBLAS, which starts a thread per
core unless OPENBLAS_NUM_THREADS is set (the line records it; compare_peers.sh sets 1). The C++ twin is libtorch_seed_rnn.cpp; compare_peers.sh interleaves both with
isobench.

Optional: needs Debian's python3-torch (1.13), which `./isobench deps` does not install; without
it the script prints {"skipped": reason} and exits 0. --check only tells whether torch imports
({"available": version} or {"skipped": reason}).

usage: /usr/bin/python3 torch_seed_rnn.py [--model rnn|lstm] [--threads 1 2] [--epochs 3] [--check]
"""
import argparse
import gzip
import json
import os
import sys
import time


def load_rows(n):
    import numpy as np
    root = os.environ.get("ISOBENCH_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
    for d in [os.environ.get("ISOBENCH_DATA_DIR", ""), os.path.join(root, "data"),
              os.path.join(root, "..", "shared", "data")]:
        p = os.path.join(d, "mnist", "train-10k-images-idx3-ubyte.gz")
        if d and os.path.exists(p):
            with gzip.open(p) as f:
                raw = f.read()
            x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:n]
            return x.astype(np.float32) / 255.0, p
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 28, 28)).astype(np.float32), "synthetic N(0,1)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["rnn", "lstm"], default="rnn")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (the best is reported)")
    ap.add_argument("--check", action="store_true", help="only report whether torch imports")
    a = ap.parse_args()
    if a.epochs < 1 or min(a.threads) < 1:
        ap.error("--epochs and --threads expect positive integers")
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"skipped": "python3-torch is not installed (apt-get install "
                                     f"python3-torch; import torch: {e})"}))
        return 0
    if a.check:
        print(json.dumps({"available": torch.__version__}))
        return 0
    import numpy as np

    n, batch, hidden = 8000, 128, 128
    x_np, source = load_rows(n)
    y_np = np.random.default_rng(1).integers(0, 10, size=n)
    x_all = torch.from_numpy(np.ascontiguousarray(x_np))
    y_all = torch.from_numpy(y_np).long()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            cell = torch.nn.RNN if a.model == "rnn" else torch.nn.LSTM
            self.rnn = cell(28, hidden, batch_first=True)
            self.out = torch.nn.Linear(hidden, 10)
            with torch.no_grad():  # the SEED initialization, as family_perf_rnn.cpp
                for name, w in self.named_parameters():
                    if "bias" in name:
                        w.zero_()
                    elif "weight_hh" in name:  # per gate block for the LSTM
                        for block in w.split(hidden, dim=0):
                            torch.nn.init.orthogonal_(block)
                    else:
                        torch.nn.init.xavier_uniform_(w)

        def forward(self, x):
            h, _ = self.rnn(x)
            return self.out(h[:, -1, :])

    for threads in a.threads:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        net = Net()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4, eps=1e-7)
        lossf = torch.nn.CrossEntropyLoss()

        def epoch():
            t0 = time.perf_counter()
            perm = torch.randperm(n)  # isobench times its shuffle too
            for i in range(0, n, batch):
                idx = perm[i:i + batch]
                opt.zero_grad(set_to_none=True)
                loss = lossf(net(x_all[idx]), y_all[idx])
                loss.backward()
                opt.step()
            return time.perf_counter() - t0

        epoch()  # warm-up
        best = min(epoch() for _ in range(a.epochs))
        print(json.dumps({"peer": "pytorch", "torch_version": torch.__version__, "model": a.model,
                          "threads": threads, "epoch_seconds": best, "timed_epochs": a.epochs,
                          "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
                          "samples": n, "batch": batch,
                          "hidden": hidden, "data": source}))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
