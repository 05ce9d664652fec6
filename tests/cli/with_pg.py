#!/usr/bin/env python3
"""Runs a command (the unit tests' history cases) with a throwaway PostgreSQL
server (pgserver.py) and GOX_TEST_PG_URL naming an empty database on it; the
server is stopped afterwards, whatever the command did."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgserver import PgServer  # noqa: E402

with PgServer() as pg:
    url = pg.new_db("gox_unit")
    r = subprocess.run(sys.argv[1:], env=dict(os.environ, GOX_TEST_PG_URL=url))
sys.exit(r.returncode)
