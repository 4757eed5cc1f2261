"""docs/across-machines.md's scripts, run as shipped: the shards of one sweep, started by the Slurm
array script and by the Kubernetes Indexed Job's container command as concurrent local processes,
merge into the whole sweep, and a missing shard is named instead of merged as complete.

Neither Slurm nor Kubernetes is needed: ``srun`` is a stand-in that drops its options and runs
the command, ``detgrad`` one that runs this checkout's ``python -m detgrad``, and a pod's
environment is the manifest's ``env`` plus its ``JOB_COMPLETION_INDEX``.  The manifest is read
with a small YAML-subset reader (tests/yaml_subset.py), checked against PyYAML where installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml_subset

from detgrad.cli import main
from detgrad.runs.reader import load_run
from detgrad.sweep.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SLURM = ROOT / "docs" / "examples" / "slurm-sweep.sh"
K8S = ROOT / "docs" / "examples" / "k8s-sweep-job.yaml"
PAGE = ROOT / "docs" / "across-machines.md"
SHARDS = 2  # shard 1 from the Slurm script, shard 2 from the Kubernetes pod; every process imports TensorFlow
# 6 cells in 3 problems (n = 2, 3, 4; closed has no n = 4, so one cell is unsupported): 2 problems + 1
SPEC = """name = "across"
[settings]
budget_s = 0.02
warmup = 1
min_samples = 3
max_samples = 3
timeout_s = 120.0
[axes]
method = ["closed", "inverse"]
mode = ["eager"]
n = [2, 3, 4]
batch = [2]
dtype = ["float64"]
"""


def manifest() -> dict[str, Any]:
    return yaml_subset.load(K8S.read_text())


def container(job: dict[str, Any]) -> dict[str, Any]:
    (only,) = job["spec"]["template"]["spec"]["containers"]
    return only


def stand_ins(bin_dir: Path) -> Path:
    """``srun`` (drops its options, runs the command) and ``detgrad`` (this checkout's, via this Python)."""
    bin_dir.mkdir()
    (bin_dir / "srun").write_text('#!/bin/sh\nwhile [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n')
    (bin_dir / "detgrad").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m detgrad "$@"\n')
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    return bin_dir


def test_shards_from_the_slurm_script_and_the_k8s_job_merge_into_the_whole_sweep(tmp_path, capsys):
    job = manifest()
    pod = container(job)
    pod_env = {e["name"]: e["value"] for e in pod["env"] if "value" in e}
    (mount,) = [m["mountPath"] for m in pod["volumeMounts"]]
    volume = tmp_path / "volume"  # the shared file system: the pod's mount, the Slurm tasks' OUT
    out = volume / Path(pod_env["OUT"]).relative_to(mount)
    spec = volume / "spec.toml"
    volume.mkdir()
    spec.write_text(SPEC)
    base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
    base["PATH"] = f"{stand_ins(tmp_path / 'bin')}{os.pathsep}{base['PATH']}"

    launches = {}  # shard -> (command, environment)
    for k in range(1, SHARDS):  # array tasks 1 .. N-1 as sbatch starts them, with SHARDS set to this N
        env = dict(base, SLURM_ARRAY_TASK_ID=str(k), SLURM_CPUS_PER_TASK="1", SHARDS=str(SHARDS), OUT=str(out))
        launches[k] = (["bash", str(SLURM), str(spec)], env)
    env = {**base, **pod_env, "SHARDS": str(SHARDS), "OUT": str(out), "SPEC": str(spec), "TF_NUM_INTRAOP_THREADS": "1"}
    launches[SHARDS] = ([*pod["command"], *pod["args"]], dict(env, JOB_COMPLETION_INDEX=str(SHARDS - 1)))  # the last pod

    procs = {}
    for k, (cmd, env) in launches.items():
        log = open(tmp_path / f"shard{k}.log", "wb")  # noqa: SIM115 - closed below
        procs[k] = (subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT), log)
    for k, (proc, log) in procs.items():
        rc = proc.wait(timeout=300)
        log.close()
        assert rc == 0, (tmp_path / f"shard{k}.log").read_text()
    assert sorted(p.name for p in out.glob("run.shard-*")) == [f"run.shard-{k}-of-{SHARDS}.jsonl" for k in (1, 2)]
    for k in range(1, SHARDS + 1):
        header, _ = load_run(out / f"run.shard-{k}-of-{SHARDS}.jsonl")
        assert header["spec"]["shard"] == f"{k}/{SHARDS}" and header["environment"]["env"]["TF_NUM_INTRAOP_THREADS"] == "1"

    aside = tmp_path / "lost.jsonl"
    (out / "run.shard-2-of-2.jsonl").rename(aside)  # a shard whose machine never delivered
    assert main(["merge", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        "detgrad: error: incomplete sweep, nothing merged: shard 2/2: no file (run.shard-2-of-2.jsonl); "
        "merge what is there with --partial"
    )
    assert not (out / "run.jsonl").exists()
    aside.rename(out / "run.shard-2-of-2.jsonl")
    assert main(["merge", str(out)]) == 0

    header, records = load_run(out / "run.jsonl")
    plan = load_spec(str(spec)).cells()  # the unsharded sweep
    assert sorted(r["key"] for r in records) == sorted(c.key for c in plan) and len(records) == len(plan) == 6
    assert header["spec"]["shard"] is None and header["planned_cells"] == 6 and len(header["merged_from"]) == SHARDS
    for r in records:
        if (r["method"], r["n"]) == ("closed", 4):
            assert r["status"] == "unsupported" and r["reason"]
        else:
            assert r["status"] == "ok", r["reason"]
            assert len(r["samples_s"]) == 3 and r["median_s"] > 0 and r["grad_rel_err"] < 1e-12


def test_the_scripts_are_well_formed_and_agree_on_n():
    subprocess.run(["bash", "-n", str(SLURM)], check=True)
    text = SLURM.read_text()
    n = int(re.search(r"^#SBATCH --array=1-(\d+)$", text, re.M).group(1))
    assert re.search(rf'^SHARDS="\$\{{SHARDS:-{n}\}}"', text, re.M), "SHARDS must default to the --array size"
    assert not re.search(r"^#SBATCH", text.split("set -euo pipefail", 1)[1], re.M), "sbatch ignores #SBATCH after a command"
    assert '--shard "$K/$SHARDS" --resume' in text and "--cpu-bind=cores" in text

    job = manifest()
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    c = container(job)
    env = {e["name"]: e for e in c["env"]}
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert spec["completionMode"] == "Indexed" and pod["restartPolicy"] == "Never"
    assert int(env["SHARDS"]["value"]) == spec["completions"] >= spec["parallelism"]
    assert c["command"] == ["/bin/sh", "-c"] and len(c["args"]) == 1
    subprocess.run(["sh", "-n", "-c", c["args"][0]], check=True)
    assert '--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS" --resume' in c["args"][0]  # the index counts from 0
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert set(mounts) <= {v["name"] for v in pod["volumes"]}
    assert any(env["OUT"]["value"].startswith(path.rstrip("/") + "/") for path in mounts.values()), "OUT off the volume"
    assert env["TF_NUM_INTRAOP_THREADS"]["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
    assert c["resources"]["requests"] == c["resources"]["limits"]  # Guaranteed: whole cores with the static CPU manager
    try:
        import yaml
    except ImportError:
        return
    assert yaml.safe_load(K8S.read_text()) == job


def test_the_page_shows_the_shipped_files():
    text = PAGE.read_text()
    assert f"```bash\n{SLURM.read_text()}```" in text
    assert f"```yaml\n{K8S.read_text()}```" in text
