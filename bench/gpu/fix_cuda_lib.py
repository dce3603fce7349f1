#!/usr/bin/env python3
"""Makes a libggml-cuda.so built by build_cuda.sh fit the prebuilt variant it joins, in place:
 - llama.cpp's own build names its base library with a version (DT_NEEDED libggml-base.so.0); the prebuilt
   package's is unversioned (SONAME libggml-base.so), so the loader would not find it and the backend would not
   load (exit 78, library_missing);
 - the build's RUNPATH points into the build folder; the variant's libraries use $ORIGIN.
Both are strings in .dynstr, rewritten to shorter ones padded with NULs (no relinking, no patchelf needed).
Exits non-zero when the file does not look as expected."""
import sys

path = sys.argv[1]
data = bytearray(open(path, "rb").read())


def replace_string(old_prefix: bytes, new: bytes, what: str) -> None:
    start = data.find(old_prefix)
    if start < 0:
        return
    if data.find(old_prefix, start + 1) >= 0:
        sys.exit(f"fix_cuda_lib: {what} occurs twice in {path}; refusing to guess")
    end = data.index(b"\0", start)
    if len(new) > end - start:
        sys.exit(f"fix_cuda_lib: {what} is too short to hold {new!r}")
    data[start:end] = new + b"\0" * (end - start - len(new))
    print(f"fix_cuda_lib: {what}: {bytes(old_prefix).decode()}... -> {new.decode()}", file=sys.stderr)


replace_string(b"libggml-base.so.0\0", b"libggml-base.so", "DT_NEEDED")
build_rpath = data.find(b"/cuda/build/bin")
if build_rpath >= 0:
    start = data.rindex(b"\0", 0, build_rpath) + 1
    replace_string(bytes(data[start:build_rpath]) + b"/cuda/build/bin", b"$ORIGIN", "RUNPATH")
open(path, "wb").write(data)
