"""`tsuku llm serve` as a child process for the gateway tests: started on a free port with a private TSUKU_HOME,
its URL read from the line it prints, stopped with SIGTERM. Shared by raw_http_test.py and the openai driver."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

URL_LINE = re.compile(r"serving the OpenAI API on (\S+)")


class Serve:
    def __init__(self, tsuku, home, args=(), env=None, http="127.0.0.1:0"):
        self.tsuku, self.home = tsuku, home
        self.log = open(os.path.join(home, "serve.stderr"), "w+")
        e = dict(os.environ, TSUKU_HOME=home)
        e.update(env or {})
        self.proc = subprocess.Popen([tsuku, "llm", "serve", "--http", http, *args], env=e,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        self.url = self._wait_for(URL_LINE).group(1)

    def stderr(self):
        with open(self.log.name) as f:
            return f.read()

    # Waits (up to `limit` seconds: a failure, not a measurement) for a line of serve's stderr.
    def _wait_for(self, pattern, limit=120):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            m = pattern.search(self.stderr())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.stderr()}")
            time.sleep(0.05)
        raise AssertionError(f"serve did not print {pattern.pattern}: {self.stderr()}")

    def wait_for(self, text, limit=120):
        return self._wait_for(re.compile(re.escape(text)), limit)

    # Polls /health until 200 (the inference server is up); returns its JSON.
    def wait_ready(self, context=None, limit=180):
        end = time.monotonic() + limit
        health = self.url[: -len("/v1")] + "/health"
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(health, context=context, timeout=30) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:
                if e.code != 503:
                    raise
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.stderr()}")
            time.sleep(0.1)
        raise AssertionError("the server did not become ready: " + self.stderr())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=120)
        self.log.close()
        return code
