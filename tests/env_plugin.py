"""Loaded with `-p tests.env_plugin` before Django's settings are read: every test process
(and each xdist worker) gets its own temporary data dir, so SQLite files, the generated
secret key, the embedded broker's folders and collected static files never touch ./var."""

import os
import tempfile

if not os.environ.get("HOMEOPS_TEST_KEEP_DATA_DIR"):
    os.environ["HOMEOPS_DATA_DIR"] = tempfile.mkdtemp(prefix="homeops-test-")
os.environ.setdefault("DEBUG", "false")
# WhiteNoise warns about a missing STATIC_ROOT; tests serve from the source folders.
os.makedirs(os.path.join(os.environ.get("HOMEOPS_DATA_DIR", "var"), "static"), exist_ok=True)
