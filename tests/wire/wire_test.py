#!/usr/bin/python3
"""Wire compatibility: a client generated from proto/ in another language (Python, Debian's python3-grpcio and
python3-grpc-tools) calls GetStatus and Complete on the real server.

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

            try:
                stub.Complete(pb.CompletionRequest(max_tokens=3), timeout=30)
                raise AssertionError("a request without messages must fail")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e

            assert stub.Shutdown(pb.ShutdownRequest(graceful=True), timeout=30).accepted
            assert proc.wait(timeout=60) == 0
            print("wire test: GetStatus, Complete, Shutdown OK; generated", resp.usage.output_tokens, "tokens")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
