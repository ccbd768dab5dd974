#!/usr/bin/python3
"""PyTorch baseline for `npm run bench:train`: the same dense autoencoder (layers given on the
command line, ReLU hidden layers, linear output, Glorot-uniform kernels, zero biases), MSE loss,
Adam (lr 1e-3), the same mini-batch size and epochs, over the same scaled rows (a float32
row-major file written by the benchmark), shuffled each epoch, on one thread: the way a data
scientist would write it in PyTorch.

Prints one JSON line: {"rows": N, "epochs": E, "seconds": S, "rows_per_sec": R (whole loop, shuffles
included), "step_rows_per_sec": R (training steps only, as kafkalab's History.rowsPerSec),
"step_rows_per_cpu_sec": R (the same per CPU second, as History.rowsPerCpuSec), "loss": L,
"torch": version, "threads": T}.
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
    print(json.dumps({"rows": rows, "epochs": a.epochs, "seconds": seconds, "rows_per_sec": rows / seconds, "step_rows_per_sec": rows / steps, "step_rows_per_cpu_sec": rows / steps_cpu, "loss": last, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
