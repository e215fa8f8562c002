"""`glukit bench` end to end on a small shape: the table, the JSON it
writes (one object per measurement plus the machine), and bad options."""
import json
import subprocess

import pytest


def run(cli, *args):
    return subprocess.run([cli, "bench", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_json_has_one_row_per_measurement(glukit_cli, tmp_path):
    out = tmp_path / "bench.json"
    r = run(glukit_cli, "--shape", "8x64", "--reps", "3", "--threads", "1,2",
            "--json", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    machine = doc["machine"]
    assert machine["cores"] >= 1 and machine["isa"] in ("scalar", "avx2", "avx512", "neon")
    assert machine["glukit_version"] and machine["date"].endswith("Z")
    rows = doc["results"]
    keys = {(r["dtype"], r["act"], r["direction"], r["threads"]) for r in rows}
    assert len(rows) == len(keys) == 2 * 3 * 2 * 2  # dtypes, acts, directions, threads
    for row in rows:
        assert row["shape"] == [8, 64] and row["reps"] == 3
        bytes_moved = 4 * 8 * 64 * (1.5 if row["direction"] == "forward" else 2.5)
        assert row["bytes"] == bytes_moved * (0.5 if row["dtype"] == "bf16" else 1)
        assert row["time_ns"] > 0 and row["stream_gbps"] > 0
        assert row["gbps"] == pytest.approx(row["bytes"] / row["time_ns"], rel=1e-3)
        assert row["ratio_to_stream"] == pytest.approx(
            row["gbps"] / row["stream_gbps"], rel=1e-3)
    # The table: a header line and one line per row.
    lines = [l for l in r.stdout.splitlines() if l.startswith("8x64 ")]
    assert len(lines) == len(rows)


def test_layout_dim_and_dtype_options(glukit_cli, tmp_path):
    out = tmp_path / "bench.json"
    r = run(glukit_cli, "--shape=4x6x8", "--dim", "0", "--layout", "interleaved",
            "--dtype", "f64", "--act", "reglu", "--threads", "1",
            "--direction", "backward", "--isa", "scalar", "--reps", "1", "--json", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["machine"]["isa"] == "scalar"
    (row,) = doc["results"]
    assert (row["layout"], row["dim"], row["dtype"], row["direction"]) == \
        ("interleaved", 0, "f64", "backward")


def test_call_plan_times_prepared_calls(glukit_cli, tmp_path):
    out = tmp_path / "bench.json"
    r = run(glukit_cli, "--shape", "8x64", "--act", "swiglu", "--dtype", "bf16",
            "--threads", "1", "--call", "plan", "--reps", "1", "--json", out)
    assert r.returncode == 0, r.stderr
    assert "glk_plan_run" in r.stdout
    rows = json.loads(out.read_text())["results"]
    assert [(row["direction"], row["call"]) for row in rows] == \
        [("forward", "plan"), ("backward", "plan")]
    r = run(glukit_cli, "--shape", "8x64", "--act", "glu", "--dtype", "f32",
            "--threads", "1", "--direction", "forward", "--reps", "1", "--json", out)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(out.read_text())["results"]
    assert row["call"] == "once"


@pytest.mark.parametrize("args, words", [
    (["--shape", "3x5"], ["odd"]),
    (["--shape", "8xx"], ["--shape"]),
    (["--act", "nope"], ["--act", "nope"]),
    (["--dtype", "int8"], ["--dtype"]),
    (["--threads", "0"], ["--threads"]),
    (["--direction", "sideways"], ["--direction"]),
    (["--isa", "mmx"], ["--isa"]),
    (["--reps"], ["needs a value"]),
    (["--call", "twice"], ["--call", "twice"]),
    (["--frobnicate", "1"], ["unknown option"]),
])
def test_bad_options_are_usage_errors(glukit_cli, args, words):
    r = run(glukit_cli, *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in r.stderr
