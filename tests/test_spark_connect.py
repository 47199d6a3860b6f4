"""A report through Spark Connect (`--spark-remote sc://HOST:PORT`), as on a cluster: a Spark
Connect server started from the installed pyspark package (SPARK_HOME = its folder; it ships
the server's jar), bound to 127.0.0.1 on a free port, stopped by killing its process group.
The command runs in a process of its own, as it would on a desk: a Connect client cannot
share a process with a local Spark session. Needs the spark-connect extra."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = [pytest.mark.spark, pytest.mark.slow]

MONTH = "2026-10"
STARTS_WITHIN = 180  # seconds: about 14 s on a quiet machine, several times that on a busy one


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """sc://127.0.0.1:PORT of a Spark Connect server, for the module; then stopped."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    command = [
        str(home / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", "local[2]",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.sql.session.timeZone=UTC",
    ]  # fmt: skip
    with open(log, "wb") as output:
        server = subprocess.Popen(
            command,
            env={**os.environ, "SPARK_HOME": str(home)},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the JVM and its launcher die together
        )
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while not listening(port):
            assert server.poll() is None, f"the server ended: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"not listening after {STARTS_WITHIN} s"
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_a_report_through_spark_connect_gives_the_duckdb_rows(connect_server, full_chain, tmp_path):
    lake = tmp_path / "lake"
    assert run_cli("--db", full_chain, "export", "parquet", lake).exit_code == 0
    report = ["spend-bands", "--month", MONTH, "--by", "store", "--format", "json"]
    on_duckdb = run_cli("--db", full_chain, *report)
    assert on_duckdb.exit_code == 0, on_duckdb.output
    remote = subprocess.run(
        [sys.executable, "-m", "memberkit", "--engine", "spark", "--lake", str(lake), *report],
        env={
            **os.environ,
            "MEMBERKIT_SPARK_REMOTE": connect_server,
            "MEMBERKIT_DB": str(tmp_path / "absent.duckdb"),  # no database is read
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert remote.returncode == 0, remote.stderr[-3000:]
    assert json.loads(remote.stdout) == json.loads(on_duckdb.stdout)
    assert len(json.loads(remote.stdout)["rows"]) > 2  # the stores and ALL
