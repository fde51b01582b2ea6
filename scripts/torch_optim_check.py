#!/usr/bin/env python3
"""Compares backprop's optimizers with torch.optim (SPEC section 7a).

For each case (every optimizer, clipping, label smoothing, the
exponential and plateau schedules against torch.optim.lr_scheduler, the
warmup against a LambdaLR), trains iris (4-16-3 relu/softmax, full batch
of 150 rows, file order, no normalisation) for STEPS steps from the same
initial weights with `backprop train` and with PyTorch, and prints the
largest difference between the two sets of weights. Not part of `make check`
(PyTorch is not a test dependency); run by hand:

    /usr/bin/python3 scripts/torch_optim_check.py ./backprop

(Debian's python3 with python3-torch and python3-numpy). With PyTorch
1.13.1 every case agreed to 4.2e-7 or better after 20 steps.

Expect differences of float rounding (1e-6 or less): PyTorch's vector
kernels fuse some multiply-adds that backprop keeps apart.
"""
import json, os, subprocess, sys, tempfile

import numpy as np
import torch

STEPS = 20
CASES = [
    ("sgd momentum nesterov wd", {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam", {"optimizer": "adam", "learning_rate": 0.01},
     lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adam amsgrad wd betas", {"optimizer": "adam", "learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.01, "betas": [0.8, 0.99]},
     lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01, betas=(0.8, 0.99))),
    ("adamw", {"optimizer": "adamw", "learning_rate": 0.01},
     lambda p: torch.optim.AdamW(p, lr=0.01)),
    ("rmsprop", {"optimizer": "rmsprop", "learning_rate": 0.001},
     lambda p: torch.optim.RMSprop(p, lr=0.001)),
    ("rmsprop centered momentum wd", {"optimizer": "rmsprop", "learning_rate": 0.001, "centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9},
     lambda p: torch.optim.RMSprop(p, lr=0.001, centered=True, momentum=0.5, weight_decay=0.01, alpha=0.9)),
    ("adagrad", {"optimizer": "adagrad", "learning_rate": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.001},
     lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.001)),
    ("adam clip_grad_norm label_smoothing", {"optimizer": "adam", "learning_rate": 0.01, "clip_grad_norm": 0.5, "label_smoothing": 0.1},
     lambda p: torch.optim.Adam(p, lr=0.01)),
    ("sgd clip_grad_value", {"optimizer": "sgd", "learning_rate": 0.1, "clip_grad_value": 0.05},
     lambda p: torch.optim.SGD(p, lr=0.1)),
    # Schedules, stepped after each epoch (one full-batch step here).
    ("adam exponential", {"optimizer": "adam", "learning_rate": 0.01, "schedule": {"type": "exponential", "gamma": 0.9}},
     lambda p: torch.optim.Adam(p, lr=0.01),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    ("rmsprop plateau on train_loss", {"optimizer": "rmsprop", "learning_rate": 0.01,
                                       "schedule": {"type": "plateau", "factor": 0.5, "patience": 0, "threshold": 0.05}},
     lambda p: torch.optim.RMSprop(p, lr=0.01),
     lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0.05)),
    ("adagrad warmup 3", {"optimizer": "adagrad", "learning_rate": 0.05, "warmup_epochs": 3},
     lambda p: torch.optim.Adagrad(p, lr=0.05),
     lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: (e + 1) / 4 if e < 3 else 1.0)),
]


def main():
    bp = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./backprop")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = np.genfromtxt(os.path.join(root, "datasets/iris.csv"), delimiter=",", skip_header=1, dtype=np.float32)
    x, y = torch.tensor(data[:, :4]), torch.tensor(data[:, 4].astype(np.int64))
    rng = np.random.default_rng(1)
    w0 = (rng.uniform(-0.5, 0.5, (16, 4))).astype(np.float32)
    b0 = (rng.uniform(-0.1, 0.1, 16)).astype(np.float32)
    w1 = (rng.uniform(-0.5, 0.5, (3, 16))).astype(np.float32)
    b1 = (rng.uniform(-0.1, 0.1, 3)).astype(np.float32)
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            name, training, make = case[:3]
            cfg = {
                "input": 4,
                "layers": [
                    {"units": 16, "activation": "relu", "weights": w0.tolist(), "bias": b0.tolist()},
                    {"units": 3, "activation": "softmax", "weights": w1.tolist(), "bias": b1.tolist()},
                ],
                "loss": "cross_entropy",
                "training": dict(training, batch_size=150, epochs=STEPS, shuffle=False),
                "data": {"train": os.path.join(root, "datasets/iris.csv"), "label": "species"},
            }
            path = os.path.join(tmp, "cfg.json")
            with open(path, "w") as f:
                json.dump(cfg, f)
            out = subprocess.run([bp, "train", path, "-o", "-", "--quiet"], check=True, capture_output=True).stdout
            got = json.loads(out)["layers"]

            l0, l1 = torch.nn.Linear(4, 16), torch.nn.Linear(16, 3)
            with torch.no_grad():
                l0.weight.copy_(torch.tensor(w0)); l0.bias.copy_(torch.tensor(b0))
                l1.weight.copy_(torch.tensor(w1)); l1.bias.copy_(torch.tensor(b1))
            params = [l0.weight, l0.bias, l1.weight, l1.bias]
            opt = make(params)
            sched = case[3](opt) if len(case) > 3 else None
            loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=training.get("label_smoothing", 0.0))
            for _ in range(STEPS):
                opt.zero_grad()
                loss = loss_fn(l1(torch.relu(l0(x))), y)
                loss.backward()
                if "clip_grad_norm" in training:
                    torch.nn.utils.clip_grad_norm_(params, training["clip_grad_norm"])
                if "clip_grad_value" in training:
                    torch.nn.utils.clip_grad_value_(params, training["clip_grad_value"])
                opt.step()
                if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    sched.step(loss.item())
                elif sched is not None:
                    sched.step()
            ours = [np.array(got[0]["weights"]), np.array(got[0]["bias"]), np.array(got[1]["weights"]), np.array(got[1]["bias"])]
            worst = max(float(np.max(np.abs(o - p.detach().numpy()))) for o, p in zip(ours, params))
            scale = max(float(np.max(np.abs(p.detach().numpy()))) for p in params)
            worst_all = max(worst_all, worst)
            print("%-40s largest |backprop - torch| %.3g (weights up to %.3g)" % (name, worst, scale))
    print("torch %s; worst %.3g" % (torch.__version__, worst_all))
    return 0 if worst_all < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
