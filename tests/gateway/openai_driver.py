"""The official openai npm client against `tsuku llm serve` with a bearer token on loopback: installs the pinned
package (openai/install.sh), starts serve with a private TSUKU_HOME, runs openai/openai_test.mjs, stops serve.
  openai_driver.py TSUKU_BINARY"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_process import Serve  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
tsuku = sys.argv[1]
installed = subprocess.run([os.path.join(here, "openai", "install.sh")], stdout=subprocess.PIPE, text=True)
if installed.returncode != 0:
    sys.exit(installed.returncode)  # 77 (no npm): skipped
folder = installed.stdout.strip()

home = tempfile.mkdtemp(prefix="tsuku-gw-openai-")
token = os.path.join(home, "token")
with open(token, "w") as f:
    f.write("test-token-1234\n")
os.chmod(token, 0o600)
serve = Serve(tsuku, home, ["--token-file", token])
try:
    node = subprocess.run(["node", os.path.join(folder, "openai_test.mjs"), serve.url, "test-token-1234"])
finally:
    code = serve.stop()
    subprocess.run([tsuku, "llm", "stop"], env=dict(os.environ, TSUKU_HOME=home), capture_output=True)
    stderr = open(os.path.join(home, "serve.stderr")).read()
    shutil.rmtree(home, ignore_errors=True)
print(stderr, file=sys.stderr)
if code != 0:
    sys.exit(f"serve exited {code} on SIGTERM")
sys.exit(node.returncode)
