#!/usr/bin/python3
"""PyTorch baseline for `npm run bench:train`: the same dense autoencoder (layers given on the
command line, ReLU hidden layers, linear output, Glorot-uniform kernels, zero biases), MSE loss,
Adam (lr 1e-3), the same mini-batch size and epochs, over the same scaled rows (a float32
row-major file written by the benchmark), shuffled each epoch, on one thread: the way a data
scientist would write it in PyTorch.

Prints one JSON line: {"rows": N, "epochs": E, "seconds": S, "rows_per_sec": R (whole loop, shuffles
included), "step_rows_per_sec": R (training steps only, as kafkalab's History.rowsPerSec),
"step_rows_per_cpu_sec": R (the same per CPU second, as History.rowsPerCpuSec), "loss": L,
"torch": version, "threads": T}; with --raw, also "score_rows_per_sec" (columns -> scaled float32
rows -> network -> per-row mean squared error, as numpy arrays, the whole matrix in one call; and
"score_rows_per_cpu_sec") and
"score_network_rows_per_sec" (the network call alone on the scaled rows), each the best of 3.
"""
import argparse
import json
import time

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("matrix", help="float32 row-major file")
    p.add_argument("--features", type=int, required=True)
    p.add_argument("--layers", default="14,7,14")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--raw", help="float64 column-major file of the unscaled columns, for scoring")
    p.add_argument("--scaler", help="JSON {offset: [...], scale: [...]} of the scaler, for scoring")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = torch.from_numpy(np.fromfile(a.matrix, dtype=np.float32).reshape(-1, a.features))
    sizes = [a.features] + [int(u) for u in a.layers.split(",") if u] + [a.features]
    mods = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        mods.append(lin)
        if i < len(sizes) - 2:
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    n = x.shape[0]
    t0 = time.perf_counter()
    steps = 0.0
    steps_cpu = 0.0
    last = float("nan")
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        xs = x[perm]
        s0 = time.perf_counter()
        c0 = time.process_time()
        for start in range(0, n, a.batch):
            xb = xs[start:start + a.batch]
            opt.zero_grad()
            loss = loss_fn(net(xb), xb)
            loss.backward()
            opt.step()
            last = loss.item()
        steps += time.perf_counter() - s0
        steps_cpu += time.process_time() - c0
    seconds = time.perf_counter() - t0
    rows = n * a.epochs
    out = {"rows": rows, "epochs": a.epochs, "seconds": seconds, "rows_per_sec": rows / seconds, "step_rows_per_sec": rows / steps, "step_rows_per_cpu_sec": rows / steps_cpu, "loss": last, "torch": torch.__version__, "threads": torch.get_num_threads()}
    if a.raw and a.scaler:
        out.update(score(net, a.raw, a.scaler, a.features))
    print(json.dumps(out))


def score(net, raw_file, scaler_file, features):
    """Scoring the way a PyTorch user would: numpy columns in, numpy scores out, one batched call."""
    cols = np.fromfile(raw_file, dtype=np.float64).reshape(features, -1)
    with open(scaler_file) as f:
        sc = json.load(f)
    offset = np.asarray(sc["offset"], dtype=np.float64)
    scale = np.asarray(sc["scale"], dtype=np.float64)
    n = cols.shape[1]
    best_e2e = best_net = best_cpu = float("inf")
    with torch.no_grad():
        for _ in range(3):
            c0 = time.process_time()
            t0 = time.perf_counter()
            x = torch.from_numpy(((cols.T - offset) / scale).astype(np.float32))
            t1 = time.perf_counter()
            y = net(x)
            t2 = time.perf_counter()
            scores = ((x - y) ** 2).mean(dim=1).numpy()
            t3 = time.perf_counter()
            best_cpu = min(best_cpu, time.process_time() - c0)
            best_e2e = min(best_e2e, t3 - t0)
            best_net = min(best_net, t2 - t1)
    assert scores.shape[0] == n
    return {"score_rows": n, "score_rows_per_sec": n / best_e2e, "score_rows_per_cpu_sec": n / best_cpu, "score_network_rows_per_sec": n / best_net}


if __name__ == "__main__":
    main()
