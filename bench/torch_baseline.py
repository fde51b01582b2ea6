#!/usr/bin/python3
"""PyTorch baselines for backprop's benchmark (bench/run.sh runs them).

Four modes, each printing one JSON object on stdout:

  torch_baseline.py train --train TRAIN.csv --test TEST.csv --threads N
                          [--epochs 10] [--batch-size 64] [--lr 0.05]
                          [--momentum 0.9] [--seed 1]
      784-256-128-10 relu/relu/softmax MLP with cross-entropy (the same
      network and hyper-parameters as bench/fashion-mnist.json), SGD with
      momentum, mini-batches of a fresh random permutation each epoch.
      Reports seconds per epoch (median over the epochs after the first,
      which carries one-off warm-up costs; the first epoch alone when
      there is only one), samples/s from that median, test accuracy after
      the last epoch, and the process's peak RSS (getrusage ru_maxrss,
      which includes loading the CSV, as backprop's does).

  torch_baseline.py shapes --data DATA.csv --input N --layers UNITS:ACT,...
                           --loss cross_entropy|mse --batch-size B
                           --threads N [--epochs 4] [--lr 0.01]
                           [--momentum 0.9] [--init he|xavier] [--seed 1]
      One row of bench/shapes.sh's table: the network backprop's config
      of the same shape describes (Linear layers with the activations
      named; a softmax output is left to CrossEntropyLoss, as in train),
      trained on DATA.csv (its first column the class, or for mse the
      target; every other column an input) with SGD + momentum, mini-batches
      of a fresh random permutation each epoch. Reports seconds per epoch
      as train does (median after the first) and every epoch's time.

  torch_baseline.py load --train TRAIN.csv [--repeat 3]
      Times numpy.loadtxt and pandas.read_csv (its C parser) reading the
      CSV into float32; median of --repeat runs each, warm page cache.

  torch_baseline.py seed --threads N [--steps 10000] [--repeat 3]
      The seed's 1-1-1 sigmoid network (SPEC section 8) at batch 1: time
      per step (zero_grad, forward, loss, backward, SGD step), median of
      --repeat loops of --steps steps. Checks that the first step gives
      the SPEC's w32 = 0.301778372.

Threads: --threads sets torch.set_num_threads (torch's intra-op OpenMP
pool). Its matrix products go to the BLAS behind libblas.so.3 (OpenBLAS
on Debian), whose own thread pool is set by OPENBLAS_NUM_THREADS in the
environment before this script starts; run.sh sets both and reports the
combination. PyTorch's DataLoader is not used: batches are cut from one
float32 tensor by index, the fastest way to feed an MLP from memory, so
the baseline is PyTorch at its best, not its Python data pipeline.
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time

import numpy as np


def blas_info():
    """The BLAS actually loaded: OpenBLAS's core name and thread count."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return {"blas": "openblas",
                "blas_core": lib.openblas_get_corename().decode(),
                "blas_threads": lib.openblas_get_num_threads()}
    except (OSError, AttributeError):
        return {"blas": "not openblas (reference BLAS?)"}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_pandas(path):
    import pandas as pd
    return pd.read_csv(path, dtype=np.float32).to_numpy()


def cmd_load(args):
    out = {"mode": "load", "rows": None}
    t_np, t_pd = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        a = np.loadtxt(args.train, delimiter=",", skiprows=1, dtype=np.float32)
        t_np.append(time.perf_counter() - t)
        out["rows"] = int(a.shape[0])
        del a
        t = time.perf_counter()
        b = load_pandas(args.train)
        t_pd.append(time.perf_counter() - t)
        del b
    out["numpy_loadtxt_seconds"] = statistics.median(t_np)
    out["pandas_read_csv_seconds"] = statistics.median(t_pd)
    return out


def train_epochs(model, loss_fn, opt, x, y, args):
    """args.epochs epochs of mini-batch SGD over (x, y), each in a fresh
    random order (a generator seeded with args.seed); returns every
    epoch's wall time (perf_counter around the whole loop: randperm,
    indexing the batch, zero_grad, forward, loss, backward, step,
    loss.item()) and its mean loss."""
    import torch
    n = x.shape[0]
    gen = torch.Generator().manual_seed(args.seed)
    epoch_seconds, losses = [], []
    for _ in range(args.epochs):
        t = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        model.train()
        for start in range(0, n, args.batch_size):
            idx = perm[start:start + args.batch_size]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        epoch_seconds.append(time.perf_counter() - t)
        losses.append(total / n)
    return epoch_seconds, losses


def median_after_first(epoch_seconds):
    """The median epoch after the first (which carries one-off warm-up
    costs); the first alone when there is only one."""
    timed = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    return statistics.median(timed) if timed else float("nan")


def cmd_train(args):
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info = {"mode": "train", "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "openblas_num_threads_env": os.environ.get("OPENBLAS_NUM_THREADS")}
    info.update(blas_info())

    t = time.perf_counter()
    train = load_pandas(args.train)
    test = load_pandas(args.test)
    info["load_seconds"] = time.perf_counter() - t
    # Column 0 is the label; pixels 0..255 are divided by 255 (the config's
    # normalize {"scale": 1/255}).
    x_train = torch.from_numpy(train[:, 1:]).div_(255.0).contiguous()
    y_train = torch.from_numpy(train[:, 0]).long()
    x_test = torch.from_numpy(test[:, 1:]).div_(255.0).contiguous()
    y_test = torch.from_numpy(test[:, 0]).long()
    del train, test

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    # backprop's "he" init: U(-sqrt(6/fan_in), sqrt(6/fan_in)), zero bias.
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    loss_fn = torch.nn.CrossEntropyLoss()  # log-softmax + NLL, batch mean
    opt = torch.optim.SGD(model.parameters(), lr=args.lr,
                          momentum=args.momentum)

    n = x_train.shape[0]
    epoch_seconds, losses = train_epochs(model, loss_fn, opt, x_train,
                                         y_train, args)

    model.eval()
    with torch.no_grad():
        pred = model(x_test).argmax(dim=1)
        accuracy = (pred == y_test).float().mean().item()

    sec = median_after_first(epoch_seconds)
    info.update({"epochs": args.epochs, "epoch_seconds": epoch_seconds,
                 "seconds_per_epoch": sec, "samples_per_second": n / sec,
                 "train_loss": losses, "test_accuracy": accuracy,
                 "peak_rss_mb": peak_rss_mb(), "train_rows": n})
    return info


def cmd_shapes(args):
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info = {"mode": "shapes", "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "openblas_num_threads_env": os.environ.get("OPENBLAS_NUM_THREADS")}
    info.update(blas_info())
    data = load_pandas(args.data)
    x = torch.from_numpy(data[:, 1:]).contiguous()
    if x.shape[1] != args.input:
        sys.exit("torch_baseline: %s has %d inputs, not %d"
                 % (args.data, x.shape[1], args.input))
    activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
                   "sigmoid": torch.nn.Sigmoid}
    layers, fan_in = [], args.input
    spec = [part.split(":") for part in args.layers.split(",")]
    for k, (units, act) in enumerate(spec):
        linear = torch.nn.Linear(fan_in, int(units))
        # backprop's init: U(-sqrt(6/fan_in), ..) for he, Glorot's
        # U(-sqrt(6/(fan_in+fan_out)), ..) for xavier; zero bias.
        if args.init == "he":
            torch.nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
        else:
            torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        last = k + 1 == len(spec)
        if act == "softmax" and last and args.loss == "cross_entropy":
            pass  # CrossEntropyLoss applies log-softmax itself
        elif act in activations:
            layers.append(activations[act]())
        elif act != "linear":
            sys.exit("torch_baseline: activation %s not supported here" % act)
        fan_in = int(units)
    model = torch.nn.Sequential(*layers)
    if args.loss == "cross_entropy":
        y = torch.from_numpy(data[:, 0]).long()
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        # backprop's mse: 1/2 sum_k (t_k - o_k)^2 per sample, batch mean.
        y = torch.from_numpy(data[:, :1]).contiguous()
        def loss_fn(out, target):
            return 0.5 * ((out - target) ** 2).sum(dim=1).mean()
    del data
    opt = torch.optim.SGD(model.parameters(), lr=args.lr,
                          momentum=args.momentum)
    epoch_seconds, losses = train_epochs(model, loss_fn, opt, x, y, args)
    sec = median_after_first(epoch_seconds)
    info.update({"rows": int(x.shape[0]), "epochs": args.epochs,
                 "epoch_seconds": epoch_seconds, "seconds_per_epoch": sec,
                 "train_loss": losses})
    return info


def cmd_seed(args):
    import torch
    torch.set_num_threads(args.threads)
    model = torch.nn.Sequential(
        torch.nn.Linear(1, 1), torch.nn.Sigmoid(),
        torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    with torch.no_grad():
        model[0].weight.fill_(0.2)  # w21
        model[0].bias.fill_(0.1)    # w20
        model[2].weight.fill_(0.3)  # w32
        model[2].bias.fill_(0.1)    # w30
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.tensor([[0.2]])
    target = torch.tensor([[0.7]])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = 0.5 * ((model(x) - target) ** 2).sum()  # E = 1/2 (T - o)^2
        loss.backward()
        opt.step()

    step()
    w32 = model[2].weight.item()
    if abs(w32 - 0.301778372) > 1e-6:
        sys.exit("torch_baseline: first step gives w32 = %.9g, not 0.301778372"
                 % w32)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        times.append(time.perf_counter() - t)
    return {"mode": "seed", "torch_threads": torch.get_num_threads(),
            "us_per_step": statistics.median(times) / args.steps * 1e6,
            "check_w32": w32}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("train")
    t.add_argument("--train", required=True)
    t.add_argument("--test", required=True)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=0.05)
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--seed", type=int, default=1)
    sh = sub.add_parser("shapes")
    sh.add_argument("--data", required=True)
    sh.add_argument("--input", type=int, required=True)
    sh.add_argument("--layers", required=True)
    sh.add_argument("--loss", choices=["cross_entropy", "mse"], required=True)
    sh.add_argument("--batch-size", type=int, required=True)
    sh.add_argument("--threads", type=int, default=1)
    sh.add_argument("--epochs", type=int, default=4)
    sh.add_argument("--lr", type=float, default=0.01)
    sh.add_argument("--momentum", type=float, default=0.9)
    sh.add_argument("--init", choices=["he", "xavier"], default="he")
    sh.add_argument("--seed", type=int, default=1)
    lo = sub.add_parser("load")
    lo.add_argument("--train", required=True)
    lo.add_argument("--repeat", type=int, default=3)
    s = sub.add_parser("seed")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--steps", type=int, default=10000)
    s.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    result = {"train": cmd_train, "shapes": cmd_shapes, "load": cmd_load,
              "seed": cmd_seed}[args.mode](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
