#!/usr/bin/env python3
"""Score a text with an LSTM LM safetensors file, in numpy, independently of LMServe.

Implements PyTorch's nn.Embedding -> nn.LSTM(batch_first, proj_size) -> nn.Linear forward from
the tensors alone (gate order i, f, g, o; c' = f*c + i*g; h' = o*tanh(c'), then W_hr h' when
projecting), in float64, under the reference convention: whitespace tokens, blank lines skipped,
input "</s> w1..wn", targets "w1..wn </s>", zero state per line, unknown words -> <unk>.

Usage: check_lstm_numpy.py MODEL.safetensors TEXT
Prints one line per non-blank text line: n_tokens <TAB> n_oov <TAB> logprob_ln (natural log,
the n+1 predictions summed), and the corpus perplexity exp(-sum ln p / N) on stderr.
"""
import json
import math
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] == "BF16":
            begin, end = info["data_offsets"]
            bits = np.frombuffer(raw[base + begin : base + end], dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            begin, end = info["data_offsets"]
            arr = np.frombuffer(raw[base + begin : base + end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = arr.reshape(info["shape"]).astype(np.float64)
    return tensors, meta


def vocabulary(path, meta):
    if "vocab" in meta:
        return json.loads(meta["vocab"])
    sidecar = os.path.splitext(path)[0] + ".vocab.txt"
    with open(sidecar, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def score_line(t, layers, ids):
    x = t["embedding.weight"][ids]  # [T, E]
    for k in range(layers):
        w_ih, w_hh = t[f"lstm.weight_ih_l{k}"], t[f"lstm.weight_hh_l{k}"]
        b = t[f"lstm.bias_ih_l{k}"] + t[f"lstm.bias_hh_l{k}"]
        w_hr = t.get(f"lstm.weight_hr_l{k}")
        hidden = w_ih.shape[0] // 4
        h = np.zeros(w_hh.shape[1])
        c = np.zeros(hidden)
        pre = x @ w_ih.T + b
        outs = []
        for step in range(len(ids)):
            g = pre[step] + w_hh @ h
            i, f, gg, o = (g[j * hidden : (j + 1) * hidden] for j in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(gg)
            h = sigmoid(o) * np.tanh(c)
            if w_hr is not None:
                h = w_hr @ h
            outs.append(h)
        x = np.stack(outs)
    logits = x @ t["decoder.weight"].T + t["decoder.bias"]
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))


def score_file(text, words, meta, line_logprobs):
    """Prints n_tokens, n_oov and the summed ln p of each non-blank line of `text`, where
    line_logprobs(ids) gives the [len(ids), V] log-probabilities after each input id; prints the
    corpus perplexity on stderr. Shared with check_lstm_torch.py."""
    index = {w: i for i, w in reversed(list(enumerate(words)))}
    unk = int(meta.get("unk_id", 1))
    eos = int(meta.get("eos_id", 0))
    total, count = 0.0, 0
    with open(text, encoding="utf-8") as f:
        for line in f:
            tokens = line.split()
            if not tokens:
                continue
            ids = [index.get(w, unk) for w in tokens]
            oov = sum(1 for w in tokens if w not in index or w == "<unk>")
            logp = line_logprobs([eos] + ids)
            targets = ids + [eos]
            lp = float(sum(logp[step, target] for step, target in enumerate(targets)))
            total += lp
            count += len(targets)
            print(f"{len(targets)}\t{oov}\t{lp:.8f}")
    print(f"perplexity {math.exp(-total / max(count, 1)):.6f} over {count} predictions", file=sys.stderr)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model, text = sys.argv[1], sys.argv[2]
    t, meta = load(model)
    layers = len([k for k in t if k.startswith("lstm.weight_ih_l")])
    score_file(text, vocabulary(model, meta), meta, lambda ids: score_line(t, layers, ids))


if __name__ == "__main__":
    main()
