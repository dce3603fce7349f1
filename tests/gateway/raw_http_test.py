"""Raw HTTP against `tsuku llm serve` (what an SDK would hide): oversized and malformed bodies, unknown routes,
a client that goes away mid-stream, the refusal of an exposed address without a token and TLS, HTTPS with a token,
and the inference server kept from idling out. Real processes and sockets throughout.
  raw_http_test.py TSUKU_BINARY"""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_process import Serve  # noqa: E402

TSUKU = None


def tsuku(home, *args, env=None):
    e = dict(os.environ, TSUKU_HOME=home)
    e.update(env or {})
    return subprocess.run([TSUKU, *args], env=e, capture_output=True, text=True, timeout=300)


def host_port(url):
    m = re.match(r"https?://([^/]+):(\d+)/v1$", url)
    return m.group(1), int(m.group(2))


def chat_body(**extra):
    body = {"model": "any", "messages": [{"role": "user", "content": "Tell me a story"}], "max_tokens": 8}
    body.update(extra)
    return json.dumps(body).encode()


class Plain(unittest.TestCase):
    """One serve on loopback without a token, shared by the tests of this class."""

    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="tsuku-gw-")
        cls.serve = Serve(TSUKU, cls.home)
        cls.health = cls.serve.wait_ready()
        cls.host, cls.port = host_port(cls.serve.url)

    @classmethod
    def tearDownClass(cls):
        code = cls.serve.stop()
        tsuku(cls.home, "llm", "stop")
        shutil.rmtree(cls.home, ignore_errors=True)
        assert code == 0, f"serve exited {code} on SIGTERM"

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        c.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, data

    def test_health_names_the_backend_and_model(self):
        self.assertEqual(self.health["status"], "ready")
        self.assertTrue(self.health["backend"])
        self.assertTrue(self.health["model"])

    def test_a_body_over_8_mib_is_refused_before_it_is_read(self):
        # Only the headers are sent: a 413 that arrives proves the body was never waited for.
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.putrequest("POST", "/v1/chat/completions")
        c.putheader("Content-Type", "application/json")
        c.putheader("Content-Length", str(8 * 1024 * 1024 + 1))
        c.endheaders()
        r = c.getresponse()
        self.assertEqual(r.status, 413)
        err = json.loads(r.read())["error"]
        self.assertIn("8 MiB", err["message"])
        c.close()

    def test_malformed_json_is_a_400_in_openai_shape(self):
        r, data = self.request("POST", "/v1/chat/completions", body=b'{"messages": [')
        self.assertEqual(r.status, 400)
        err = json.loads(data)["error"]
        self.assertEqual(err["type"], "invalid_request_error")
        self.assertIn("not valid JSON", err["message"])

    def test_a_body_that_is_not_utf8_is_a_400(self):
        r, _ = self.request("POST", "/v1/chat/completions",
                            body=b'{"messages":[{"role":"user","content":"\xff\xfe"}],"max_tokens":4}')
        self.assertEqual(r.status, 400)

    def test_bad_fields_are_named(self):
        cases = [
            (chat_body(temperature=7), "temperature"),
            (chat_body(messages=[{"role": "wizard", "content": "x"}]), "messages[0].role"),
            (chat_body(messages=[{"role": "tool", "content": "x"}]), "messages[0].tool_call_id"),
            (chat_body(max_tokens=0), "max_tokens"),
            (json.dumps({"model": "any"}).encode(), "messages"),
            (chat_body(response_format={"type": "json_schema",
                                        "json_schema": {"name": "x", "schema": {"type": "integer", "multipleOf": 3}}}),
             "response_format.json_schema.schema"),
        ]
        for body, param in cases:
            r, data = self.request("POST", "/v1/chat/completions", body=body)
            self.assertEqual(r.status, 400, data)
            self.assertEqual(json.loads(data)["error"]["param"], param, data)

    def test_unknown_fields_are_ignored(self):
        r, data = self.request("POST", "/v1/chat/completions",
                               body=chat_body(frobnicate=True, user="u1", parallel_tool_calls=False))
        self.assertEqual(r.status, 200, data)
        self.assertEqual(json.loads(data)["object"], "chat.completion")

    def test_an_unknown_route_is_a_404_in_openai_shape(self):
        r, data = self.request("GET", "/v1/nothing-here")
        self.assertEqual(r.status, 404)
        self.assertIn("/v1/chat/completions", json.loads(data)["error"]["message"])

    def test_a_stream_ends_with_a_finish_reason_then_done(self):
        r, data = self.request("POST", "/v1/chat/completions", body=chat_body(stream=True, max_tokens=12))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        events = [e[len("data: "):] for e in data.decode().split("\n\n") if e]
        self.assertEqual(events[-1], "[DONE]")
        chunks = [json.loads(e) for e in events[:-1]]
        self.assertTrue(all(c["object"] == "chat.completion.chunk" for c in chunks))
        self.assertIn(chunks[-1]["choices"][0]["finish_reason"], ("stop", "length"))

    def test_a_client_that_goes_away_cancels_its_generation(self):
        # Far more tokens than the reply could take before the client leaves: only a cancellation ends it early.
        s = socket.create_connection((self.host, self.port), timeout=120)
        body = chat_body(stream=True, max_tokens=1000000, temperature=1.0)
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        seen = b""
        while seen.count(b"\"content\":") < 3:  # the role event and two content deltas: generation is under way
            got = s.recv(65536)
            self.assertTrue(got, "the stream ended before the client left: " + seen.decode(errors="replace"))
            seen += got
        s.close()
        self.serve.wait_for("a client went away mid-stream")
        log = os.path.join(self.home, "logs", "server.log")
        end = time.monotonic() + 120
        while time.monotonic() < end:
            with open(log, errors="replace") as f:
                m = re.search(r"cancelled after (\d+) tokens: the client went away", f.read())
            if m:
                break
            time.sleep(0.05)
        self.assertIsNotNone(m, "the server log does not show the cancellation")
        self.assertLess(int(m.group(1)), 1000000)
        # The server is free again: the next request is served.
        r, _ = self.request("POST", "/v1/chat/completions", body=chat_body())
        self.assertEqual(r.status, 200)


class PrivateHome(unittest.TestCase):
    """A home of the test's own; a server left in it is stopped."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="tsuku-gw-")

    def tearDown(self):
        tsuku(self.home, "llm", "stop")
        shutil.rmtree(self.home, ignore_errors=True)


class Exposure(PrivateHome):
    """An address other machines can reach: refused without a token and TLS; served with both."""

    def token_file(self, mode=0o600):
        path = os.path.join(self.home, "token")
        with open(path, "w") as f:
            f.write("s3cret-token\n")
        os.chmod(path, mode)
        return path

    def test_without_token_or_tls_the_refusal_names_both_fixes(self):
        r = tsuku(self.home, "llm", "serve", "--http", "0.0.0.0:0")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--token-file", r.stderr)
        self.assertIn("--tls-cert", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "run", "server.json")), "no server was started")

    def test_a_token_without_tls_is_refused(self):
        r = tsuku(self.home, "llm", "serve", "--http", "0.0.0.0:0", "--token-file", self.token_file())
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("TLS is off", r.stderr)

    def test_a_token_file_others_can_read_is_refused(self):
        r = tsuku(self.home, "llm", "serve", "--token-file", self.token_file(0o644))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("chmod 600", r.stderr)

    def test_https_with_a_token_serves_and_requires_it(self):
        cert, key = os.path.join(self.home, "cert.pem"), os.path.join(self.home, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
        serve = Serve(TSUKU, self.home, ["--token-file", self.token_file(), "--tls-cert", cert, "--tls-key", key],
                      http="0.0.0.0:0")
        try:
            self.assertTrue(serve.url.startswith("https://"), serve.url)
            ctx = ssl.create_default_context(cafile=cert)
            ctx.check_hostname = False
            port = int(serve.url.rsplit(":", 1)[1].split("/")[0])
            serve.url = f"https://127.0.0.1:{port}/v1"
            serve.wait_ready(context=ctx)
            for headers, status in (({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                                    ({"Authorization": "Bearer s3cret-token"}, 200)):
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
                c.request("GET", "/v1/models", headers=headers)
                r = c.getresponse()
                data = r.read()
                self.assertEqual(r.status, status, data)
                c.close()
        finally:
            self.assertEqual(serve.stop(), 0)


class Limits(PrivateHome):
    def test_a_connection_over_the_bound_is_answered_503_at_once(self):
        serve = Serve(TSUKU, self.home, ["--max-connections", "1"])
        try:
            serve.wait_ready()
            host, port = host_port(serve.url)
            # The one worker waits for the rest of this request line (up to the 30 s read timeout). The worker
            # that answered wait_ready's /health counts until it has closed that connection, after the client saw
            # the reply: if `busy` came in that moment, it went over the bound itself and the next one is served.
            # That window closes by itself; a fresh pair finds the worker free.
            for _ in range(5):
                busy = socket.create_connection((host, port), timeout=60)
                busy.sendall(b"GET /health HT")
                c = http.client.HTTPConnection(host, port, timeout=60)
                c.request("GET", "/v1/models")
                r = c.getresponse()
                data = r.read()
                c.close()
                if r.status == 503:
                    break
                busy.close()  # it was the one over the bound: its request ends in a 503 it never reads
                time.sleep(0.5)
            self.assertEqual(r.status, 503, data)
            self.assertEqual(r.getheader("Retry-After"), "1")
            self.assertIn("too many connections", json.loads(data)["error"]["message"])
            busy.sendall(b"TP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertIn(b" 200 ", busy.recv(4096), "the connection being served is answered")
            busy.close()
        finally:
            self.assertEqual(serve.stop(), 0)

    def test_a_server_that_goes_away_is_started_again(self):
        # A short idle timeout makes serve's keep-alive (a third of it) notice the stop sooner.
        serve = Serve(TSUKU, self.home, env={"TSUKU_LLM_IDLE_TIMEOUT": "6s"})
        try:
            serve.wait_ready()
            r = tsuku(self.home, "llm", "stop")
            self.assertEqual(r.returncode, 0, r.stderr)
            serve.wait_for("the inference server went away; starting it again")
            end = time.monotonic() + 180
            while serve.stderr().count("tsuku: ready:") < 2 and time.monotonic() < end:
                time.sleep(0.05)
            self.assertEqual(serve.stderr().count("tsuku: ready:"), 2, serve.stderr())
            host, port = host_port(serve.url)
            c = http.client.HTTPConnection(host, port, timeout=120)
            c.request("POST", "/v1/chat/completions", body=chat_body(), headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            c.close()
            self.assertEqual(r.status, 200)
        finally:
            self.assertEqual(serve.stop(), 0)


class KeepAlive(PrivateHome):
    def test_the_server_does_not_idle_out_while_serve_runs(self):
        # An 8 s idle timeout: serve tells the server it is still used every third of it. Idle for over 2 idle
        # timeouts, the server must be the same process, never restarted (the margin, over 5 s, is far above a
        # status call's time even on a loaded machine).
        env = {"TSUKU_LLM_IDLE_TIMEOUT": "8s"}
        serve = Serve(TSUKU, self.home, env=env)
        try:
            serve.wait_ready()
            before = json.loads(tsuku(self.home, "llm", "status", "--json", env=env).stdout)
            time.sleep(20)
            after = json.loads(tsuku(self.home, "llm", "status", "--json", env=env).stdout)
            self.assertEqual(before.get("pid"), after.get("pid"), (before, after))
            self.assertNotIn("went away", serve.stderr())
        finally:
            self.assertEqual(serve.stop(), 0)

if __name__ == "__main__":
    TSUKU = sys.argv.pop(1)
    unittest.main(verbosity=2)
