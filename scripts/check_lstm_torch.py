#!/usr/bin/env python3
"""Score a text with an LSTM LM safetensors file in PyTorch itself, loading it the way users do.

Builds nn.Embedding -> nn.LSTM(batch_first=True, num_layers, proj_size) -> nn.Linear with the
sizes the file's tensors imply (tying the decoder to the embedding when the metadata says so),
then `load_state_dict(safetensors.torch.load_file(MODEL), strict=True)`: every name and shape must
match PyTorch's own. Scores under the reference convention (whitespace tokens, blank lines
skipped, input "</s> w1..wn", targets "w1..wn </s>", zero state per line, unknown -> <unk>) in
float64.

Usage: check_lstm_torch.py MODEL.safetensors TEXT
Prints one line per non-blank text line: n_tokens <TAB> n_oov <TAB> logprob_ln (natural log, the
n+1 predictions summed), like check_lstm_numpy.py, and the corpus perplexity on stderr.
"""
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_lstm_numpy import score_file, vocabulary  # noqa: E402  (the shared reading and convention)


class LanguageModel(torch.nn.Module):
    def __init__(self, vocab, emb, hidden, layers, proj, tied):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, emb)
        self.lstm = torch.nn.LSTM(emb, hidden, num_layers=layers, batch_first=True, proj_size=proj)
        self.decoder = torch.nn.Linear(proj or hidden, vocab)
        if tied:
            self.decoder.weight = self.embedding.weight

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids))
        return torch.log_softmax(self.decoder(out), dim=-1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, text = sys.argv[1], sys.argv[2]
    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
    state = load_file(path)
    vocab, emb = state["embedding.weight"].shape
    hidden = state["lstm.weight_hh_l0"].shape[0] // 4
    proj = state["lstm.weight_hr_l0"].shape[0] if "lstm.weight_hr_l0" in state else 0
    layers = len([k for k in state if k.startswith("lstm.weight_ih_l")])
    tied = meta.get("tie_weights") == "true"
    if tied:  # load_state_dict would keep one of the two silently
        assert torch.equal(state["decoder.weight"], state["embedding.weight"]), "tied model, decoder.weight != embedding.weight"
    model = LanguageModel(vocab, emb, hidden, layers, proj, tied)
    model.load_state_dict(state, strict=True)
    model = model.double().eval()

    with torch.no_grad():
        score_file(text, vocabulary(path, meta), meta, lambda ids: model(torch.tensor([ids]))[0])


if __name__ == "__main__":
    main()
