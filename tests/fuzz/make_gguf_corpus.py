#!/usr/bin/python3
"""Writes the seed corpus of the GGUF header fuzzing (tests/fuzz/gguf_corpus/; no .gguf suffix, which git ignores):
small valid files and the classic lies (counts, lengths, offsets, types, alignment, truncation). Committed; rerun
only to change the seeds.

usage: make_gguf_corpus.py <out-dir>
"""
import os
import struct
import sys


def s(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def header(version, tensors, kvs):
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs)


def kv_u32(key, value):
    return s(key) + struct.pack("<II", 4, value)


def kv_str(key, value):
    return s(key) + struct.pack("<I", 8) + s(value)


def kv_str_array(key, values):
    return s(key) + struct.pack("<IIQ", 9, 8, len(values)) + b"".join(s(v) for v in values)


def kv_i32_array(key, values):
    return s(key) + struct.pack("<IIQ", 9, 5, len(values)) + b"".join(struct.pack("<i", v) for v in values)


def tensor(name, dims, ggml_type, offset):
    return s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + \
        struct.pack("<IQ", ggml_type, offset)


def pad(data, align=32):
    return data + b"\0" * (-len(data) % align)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    arch = kv_str("general.architecture", "qwen2")
    one_tensor = pad(header(3, 1, 1) + arch + tensor("w", [8], 0, 0)) + b"\1" * 32
    files = {
        "valid_minimal": header(3, 0, 1) + arch,
        "valid_tensor": one_tensor,
        "valid_arrays": pad(header(3, 2, 4) + arch + kv_u32("general.alignment", 64) +
                                 kv_str_array("tokenizer.ggml.tokens", ["a", "b", "<|im_end|>"]) +
                                 kv_i32_array("tokenizer.ggml.token_type", [1, 1, 3]) +
                                 tensor("a", [32, 2], 8, 0) + tensor("b", [4], 0, 128), 64) + b"\2" * 192,
        "version_1": header(1, 0, 1) + arch,
        "huge_tensor_count": header(3, 1 << 60, 1) + arch,
        "huge_string_length": header(3, 0, 1) + struct.pack("<Q", 1 << 40) + b"general",
        "bad_alignment": header(3, 0, 2) + arch + kv_u32("general.alignment", 3),
        "tensor_outside": pad(header(3, 1, 1) + arch + tensor("w", [8], 0, 1 << 20)) + b"\1" * 32,
        "unknown_tensor_type": pad(header(3, 1, 1) + arch + tensor("w", [8], 999, 0)) + b"\1" * 32,
        "truncated": one_tensor[: len(one_tensor) // 2],
        # A header that lies about the shape llama.cpp trusts (issue 12): refused naming the key.
        "lying_layers": pad(header(3, 1, 2) + arch + kv_u32("qwen2.block_count", 4_000_000_000) +
                            tensor("blk.0.w", [8], 0, 0)) + b"\1" * 32,
        "lying_kv_heads": pad(header(3, 1, 4) + arch + kv_u32("qwen2.embedding_length", 8) +
                              kv_u32("qwen2.attention.head_count", 2) + kv_u32("qwen2.attention.head_count_kv", 0) +
                              tensor("token_embd.weight", [8], 0, 0)) + b"\1" * 32,
        "html": b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
        "empty": b"",
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
