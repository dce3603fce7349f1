"""The measurements of bench/http.sh (see there). Alternates, on one warm server:
  - a streamed reply through `tsuku llm serve` (SSE over HTTP) and through `tsuku llm complete --json --stream`
    (gRPC CompleteStream), both timed at the client from the first delta to the end: tokens/s as a user sees them;
  - a one-token reply over HTTP and over gRPC straight to the server's socket (the same request): the difference
    is what the gateway adds to each request;
  - GET /health (one GetStatus through the gateway) against GetStatus straight to the socket: the gateway's own
    cost without a decode's noise.
Prints one line per figure, then a JSON object.
  http.py TSUKU PROTO_DIR SOCKET BASE_URL MODEL ROUNDS TOKENS"""
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

tsuku, proto_dir, sock, base, model, rounds, tokens = sys.argv[1:8]
rounds, tokens = int(rounds), int(tokens)
prompt = "Write a long story about a lighthouse keeper"

from grpc_tools import protoc  # noqa: E402  Debian's python3-grpc-tools
import grpc  # noqa: E402

tmp = tempfile.mkdtemp(prefix="tsuku-http-bench-")
assert protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={tmp}", f"--grpc_python_out={tmp}",
                    f"{proto_dir}/tsuku/llm/v1/inference.proto"]) == 0
sys.path.insert(0, tmp)
from tsuku.llm.v1 import inference_pb2 as pb, inference_pb2_grpc as rpc  # noqa: E402

url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)  # one kept-alive connection, as SDKs do


def http_chat(max_tokens, stream):
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                       "temperature": 0, "stream": stream, "stream_options": {"include_usage": True}})
    try:
        conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        return conn.getresponse()
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        conn.close()  # the server closed the kept-alive connection while it was idle (5 s): a new one, as SDKs do
        conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        return conn.getresponse()


def http_stream_tps():
    r = http_chat(tokens, True)
    assert r.status == 200, r.read()
    first = last = None
    out = 0
    buf = b""
    while True:
        piece = r.read1(65536)
        if not piece:
            break
        now = time.perf_counter()
        buf += piece
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            data = event[len(b"data: "):]
            if data == b"[DONE]":
                continue
            j = json.loads(data)
            if j.get("usage"):
                out = j["usage"]["completion_tokens"]
            for c in j["choices"]:
                if c["delta"].get("content"):
                    first = first or now
                    last = now
    return (out - 1) / (last - first)  # tokens after the first, over the time they took


def cli_stream_tps():
    p = subprocess.Popen([tsuku, "llm", "complete", "--model", model, "--max-tokens", str(tokens), "--temperature",
                          "0", "--json", "--stream", prompt], stdout=subprocess.PIPE)
    first = last = None
    out = 0
    for line in p.stdout:
        now = time.perf_counter()
        j = json.loads(line)
        if j.get("delta"):
            first = first or now
            last = now
        if j.get("stop_reason"):
            out = j["usage"]["output_tokens"]
    assert p.wait() == 0
    return (out - 1) / (last - first)


stub = rpc.InferenceServiceStub(grpc.insecure_channel("unix:" + sock))
one = pb.CompletionRequest(messages=[pb.Message(role=pb.ROLE_USER, content=prompt)], max_tokens=1, temperature=0)


def grpc_one_ms():
    t = time.perf_counter()
    stub.Complete(one, timeout=600)
    return (time.perf_counter() - t) * 1000


def http_one_ms():
    t = time.perf_counter()
    r = http_chat(1, False)
    r.read()
    assert r.status == 200
    return (time.perf_counter() - t) * 1000


def grpc_status_ms():
    t = time.perf_counter()
    stub.GetStatus(pb.StatusRequest(), timeout=60)
    return (time.perf_counter() - t) * 1000


def http_health_ms():
    t = time.perf_counter()
    conn.request("GET", "/health")
    r = conn.getresponse()
    r.read()
    assert r.status == 200
    return (time.perf_counter() - t) * 1000


for warm in (http_one_ms, grpc_one_ms, http_stream_tps, cli_stream_tps):
    warm()
h_tps, c_tps = [], []
for i in range(rounds):
    h_tps.append(http_stream_tps())
    c_tps.append(cli_stream_tps())
    print(f"round {i + 1} http_stream_tps {h_tps[-1]:.1f} complete_stream_tps {c_tps[-1]:.1f}", flush=True)
h_ms, g_ms = [], []
for _ in range(rounds * 6):
    h_ms.append(http_one_ms())
    g_ms.append(grpc_one_ms())
# The gateway alone, without a decode's noise: GET /health is one GetStatus through the gateway.
hs_ms, gs_ms = [], []
for _ in range(200):
    hs_ms.append(http_health_ms())
    gs_ms.append(grpc_status_ms())
# Each round's two runs see the same moment of the machine's load: the median of their ratios is the headline.
ratio = statistics.median(h / c for h, c in zip(h_tps, c_tps))
added = statistics.median(h_ms) - statistics.median(g_ms)
print(f"median http_stream_tps {statistics.median(h_tps):.1f} complete_stream_tps {statistics.median(c_tps):.1f}")
print(f"ratio http/complete {ratio:.3f}, median of the rounds' ratios (target >= 0.97)")
print(f"one-token request: http {statistics.median(h_ms):.2f} ms, grpc {statistics.median(g_ms):.2f} ms, "
      f"added {added:.2f} ms (target < 2 ms)")
print(f"status call: http /health {statistics.median(hs_ms):.3f} ms, grpc GetStatus {statistics.median(gs_ms):.3f} ms, "
      f"gateway adds {statistics.median(hs_ms) - statistics.median(gs_ms):.3f} ms")
print(json.dumps({"http_stream_tps": statistics.median(h_tps), "complete_stream_tps": statistics.median(c_tps),
                  "ratio": round(ratio, 4), "http_request_ms": statistics.median(h_ms),
                  "grpc_request_ms": statistics.median(g_ms), "added_ms": round(added, 3),
                  "http_health_ms": statistics.median(hs_ms), "grpc_status_ms": statistics.median(gs_ms)}))
