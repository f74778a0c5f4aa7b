#!/usr/bin/python3
"""Writes a tiny random-weight llama-architecture model as GGUF v3 (struct + numpy only).

    engines/make_gguf.py OUT.gguf

2 layers, embedding 64, 4 heads, feed-forward 128, F32 weights from a fixed seed, and a
SentencePiece-style ("llama") vocabulary llama.cpp accepts: <unk> <s> </s>, the 256 byte
tokens <0x00>..<0xFF> (byte fallback: any text tokenizes), then the printable ASCII characters
and a few words, each with the SPM marker U+2581 for a leading space. The output is the same
bytes on every run (tests compare generated tokens bare vs sandboxed; nothing is downloaded).
"""
import os
import struct
import sys

import numpy as np

SEED = 20240611
N_EMBD, N_LAYER, N_HEAD, N_FF, N_CTX = 64, 2, 4, 128, 256
ALIGN = 32

# GGUF metadata value types
U32, I32, F32, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9
# token types (llama.cpp's llama_token_type)
NORMAL, UNKNOWN, CONTROL, BYTE = 1, 2, 3, 6


def vocab():
    toks, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [UNKNOWN, CONTROL, CONTROL]
    for b in range(256):
        toks.append("<0x%02X>" % b)
        scores.append(0.0)
        types.append(BYTE)
    words = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)]
    words += ["\u2581" + chr(c) for c in range(ord("a"), ord("z") + 1)]
    words += ["\u2581the", "\u2581model", "\u2581ward", "\u2581sandbox", "\u2581token",
              "th", "he", "in", "er", "an", "re", "on", "at", "en", "nd"]
    for i, w in enumerate(words):
        toks.append(w)
        # SPM merges by score: longer pieces score higher, so words win over characters.
        scores.append(-1000.0 + 10.0 * len(w) - i * 0.001)
        types.append(NORMAL)
    return toks, scores, types


def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gstr(key) + struct.pack("<I", vtype)
    if vtype == STR:
        return out + gstr(value)
    if vtype == U32:
        return out + struct.pack("<I", value)
    if vtype == F32:
        return out + struct.pack("<f", value)
    if vtype == BOOL:
        return out + struct.pack("<?", value)
    raise ValueError(vtype)


def kv_array(key, etype, values):
    out = gstr(key) + struct.pack("<IIQ", ARR, etype, len(values))
    if etype == STR:
        return out + b"".join(gstr(v) for v in values)
    fmt = {I32: "<%di", F32: "<%df"}[etype] % len(values)
    return out + struct.pack(fmt, *values)


def main():
    out_path = sys.argv[1]
    toks, scores, types = vocab()
    n_vocab = len(toks)
    rng = np.random.default_rng(SEED)

    def w(*shape, scale=None):
        # shape is numpy (rows, cols); GGUF lists dims fastest first, i.e. reversed.
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[-1])
        return (rng.standard_normal(shape) * scale).astype("<f4")

    tensors = [("token_embd.weight", w(n_vocab, N_EMBD, scale=0.5))]
    for i in range(N_LAYER):
        p = "blk.%d." % i
        tensors += [
            (p + "attn_norm.weight", np.ones(N_EMBD, "<f4")),
            (p + "attn_q.weight", w(N_EMBD, N_EMBD)),
            (p + "attn_k.weight", w(N_EMBD, N_EMBD)),
            (p + "attn_v.weight", w(N_EMBD, N_EMBD)),
            (p + "attn_output.weight", w(N_EMBD, N_EMBD)),
            (p + "ffn_norm.weight", np.ones(N_EMBD, "<f4")),
            (p + "ffn_gate.weight", w(N_FF, N_EMBD)),
            (p + "ffn_up.weight", w(N_FF, N_EMBD)),
            (p + "ffn_down.weight", w(N_EMBD, N_FF)),
        ]
    out = w(n_vocab, N_EMBD, scale=2.0 / np.sqrt(N_EMBD))
    # Logit 0 for <unk> <s> </s>: random logits have a spread of about 2, so the control tokens
    # are never the greedy choice nor in a top-40, and a generation always runs its N tokens.
    out[:3] = 0.0
    tensors += [("output_norm.weight", np.ones(N_EMBD, "<f4")), ("output.weight", out)]

    meta = [
        kv("general.architecture", STR, "llama"),
        kv("general.name", STR, "ward-tiny-random"),
        kv("general.alignment", U32, ALIGN),
        kv("general.file_type", U32, 0),  # all F32
        kv("llama.context_length", U32, N_CTX),
        kv("llama.embedding_length", U32, N_EMBD),
        kv("llama.block_count", U32, N_LAYER),
        kv("llama.feed_forward_length", U32, N_FF),
        kv("llama.attention.head_count", U32, N_HEAD),
        kv("llama.attention.head_count_kv", U32, N_HEAD),
        kv("llama.attention.layer_norm_rms_epsilon", F32, 1e-5),
        kv("llama.rope.dimension_count", U32, N_EMBD // N_HEAD),
        kv("llama.rope.freq_base", F32, 10000.0),
        kv("llama.vocab_size", U32, n_vocab),
        kv("tokenizer.ggml.model", STR, "llama"),
        kv_array("tokenizer.ggml.tokens", STR, toks),
        kv_array("tokenizer.ggml.scores", F32, scores),
        kv_array("tokenizer.ggml.token_type", I32, types),
        kv("tokenizer.ggml.unknown_token_id", U32, 0),
        kv("tokenizer.ggml.bos_token_id", U32, 1),
        kv("tokenizer.ggml.eos_token_id", U32, 2),
        kv("tokenizer.ggml.add_bos_token", BOOL, True),
        kv("tokenizer.ggml.add_eos_token", BOOL, False),
    ]

    infos, offset = [], 0
    for name, a in tensors:
        dims = list(reversed(a.shape))
        infos.append(gstr(name) + struct.pack("<I", len(dims)) +
                     struct.pack("<%dQ" % len(dims), *dims) + struct.pack("<IQ", 0, offset))
        offset += -(-a.nbytes // ALIGN) * ALIGN

    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)) + b"".join(meta) + \
        b"".join(infos)
    head += b"\0" * (-len(head) % ALIGN)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head)
        for _, a in tensors:
            data = a.tobytes()
            f.write(data + b"\0" * (-len(data) % ALIGN))
    os.replace(tmp, out_path)
    print("%s: llama, %d layers, dim %d, vocab %d, %d tensors" %
          (out_path, N_LAYER, N_EMBD, n_vocab, len(tensors)))


if __name__ == "__main__":
    main()
