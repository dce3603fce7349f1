#!/usr/bin/python3
"""Wire compatibility: a client generated from proto/ in another language (Python, Debian's python3-grpcio and
python3-grpc-tools) calls GetStatus, Complete and CompleteStream on the real server: the stream's deltas add up to what Complete
answers for the same request (greedy sampling, so both generate the same tokens), the last chunk carries
stop_reason and usage, and sampling options are honoured (a fixed seed repeats a reply, a stop string ends it).

usage: wire_test.py <proto-dir> <tsuku-llm> <model.gguf>
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    proto_dir, server, model = sys.argv[1:4]
    from grpc_tools import protoc
    import grpc

    with tempfile.TemporaryDirectory(prefix="tsk.") as tmp:
        rc = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={tmp}", f"--grpc_python_out={tmp}",
                          os.path.join(proto_dir, "tsuku/llm/v1/inference.proto")])
        assert rc == 0, "protoc failed"
        sys.path.insert(0, tmp)
        from tsuku.llm.v1 import inference_pb2 as pb, inference_pb2_grpc as rpc

        sock = os.path.join(tmp, "llm.sock")
        r, w = os.pipe()
        proc = subprocess.Popen([server, "serve", "--socket", sock, "--model", model, "--notify-fd", str(w),
                                 "--idle-timeout", "0"], pass_fds=(w,), stderr=subprocess.DEVNULL)
        os.close(w)
        try:
            events = os.fdopen(r)
            line = events.readline()
            while line and json.loads(line)["event"] == "backend_ok":  # the backend check passed; ready follows
                line = events.readline()
            event = json.loads(line)
            assert event["event"] == "ready", f"server did not become ready: {line!r}"

            channel = grpc.insecure_channel(f"unix:{sock}")
            stub = rpc.InferenceServiceStub(channel)
            status = stub.GetStatus(pb.StatusRequest(), timeout=30)
            assert status.ready, status
            assert status.backend == "cpu", status
            assert status.model_size_bytes == os.path.getsize(model), status
            assert status.addon_version, status

            req = pb.CompletionRequest(system_prompt="Be brief", max_tokens=6,
                                       messages=[pb.Message(role=pb.ROLE_USER, content="Hello from Python")])
            resp = stub.Complete(req, timeout=60)
            assert resp.stop_reason in ("end_turn", "max_tokens"), resp
            assert 0 < resp.usage.output_tokens <= 6, resp
            assert resp.usage.input_tokens > 5, resp
            resp.content.encode("utf-8")  # valid UTF-8 (protobuf in Python would have refused otherwise)

            # Streaming: the same request, greedy, unary and streamed.
            greedy = pb.CompletionRequest(max_tokens=24, temperature=0.0,
                                          messages=[pb.Message(role=pb.ROLE_USER, content="Tell me a story")])
            # Twice first: a prompt evaluated in one batch and one found in the cache (all but its last token) may
            # differ in the last bits of the logits; from the second request on every one takes the cached path.
            stub.Complete(greedy, timeout=60)
            whole = stub.Complete(greedy, timeout=60)
            chunks = list(stub.CompleteStream(greedy, timeout=60))
            assert len(chunks) >= 2, f"one chunk for {whole.usage.output_tokens} tokens: {chunks}"
            assert all(c.stop_reason == "" for c in chunks[:-1]), chunks
            last = chunks[-1]
            assert last.stop_reason == whole.stop_reason, (last, whole)
            assert last.usage.output_tokens == whole.usage.output_tokens, (last, whole)
            assert last.usage.input_tokens == whole.usage.input_tokens, (last, whole)
            assert last.usage.cached_input_tokens > 0, last  # the same prompt again: its prefix is in the cache
            streamed = "".join(c.delta for c in chunks)
            assert streamed == whole.content, (streamed, whole.content)

            # A fixed seed repeats the reply at the default temperature.
            seeded = pb.CompletionRequest(max_tokens=16, seed=42,
                                          messages=[pb.Message(role=pb.ROLE_USER, content="Pick words")])
            stub.Complete(seeded, timeout=60)  # as above: the repeats take the same (cached) path
            a, b = stub.Complete(seeded, timeout=60), stub.Complete(seeded, timeout=60)
            assert a.content == b.content, (a.content, b.content)

            # A stop string that the greedy reply contains ends it there, in both RPCs.
            text = whole.content
            if len(text) > 8 and "\ufffd" not in text[:8]:
                stop = text[4:7]
                cut = text[:text.index(stop)]
                stopped = pb.CompletionRequest(max_tokens=24, temperature=0.0, stop=[stop],
                                               messages=[pb.Message(role=pb.ROLE_USER, content="Tell me a story")])
                assert stub.Complete(stopped, timeout=60).content == cut
                assert "".join(c.delta for c in stub.CompleteStream(stopped, timeout=60)) == cut

            try:
                stub.Complete(pb.CompletionRequest(max_tokens=3, temperature=3.0, messages=greedy.messages),
                              timeout=30)
                raise AssertionError("temperature 3 must be refused")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "temperature" in e.details(), e

            try:
                list(stub.CompleteStream(pb.CompletionRequest(max_tokens=3), timeout=30))
                raise AssertionError("a streamed request without messages must fail")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e

            try:
                stub.Complete(pb.CompletionRequest(max_tokens=3), timeout=30)
                raise AssertionError("a request without messages must fail")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e

            assert stub.Shutdown(pb.ShutdownRequest(graceful=True), timeout=30).accepted
            assert proc.wait(timeout=60) == 0
            print("wire test: GetStatus, Complete, CompleteStream, Shutdown OK; streamed", len(chunks), "chunks")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
