"""A stage's outputs appear together or not at all (provenance.commit_together), also after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tarimhm import paths
from tarimhm import provenance as pv


@pytest.fixture
def project(tmp_path, monkeypatch):
    derived, audit = tmp_path / "data_derived", tmp_path / "paper" / "audit"
    (derived / "rf").mkdir(parents=True)
    audit.mkdir(parents=True)
    (derived / "rf" / "metrics.csv").write_text("old metrics\n")
    (derived / "rf" / "search.json").write_text("old search\n")
    (audit / "rf.csv").write_text("old audit\n")
    (audit / "stats.csv").write_text("other stage's audit\n")
    monkeypatch.setattr(paths, "DATA_DERIVED", derived)
    monkeypatch.setattr(paths, "AUDIT", audit)
    return derived, audit


def _listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_success_commits_every_output_and_the_audit_rows(project):
    derived, audit = project

    @pv.committed("rf")
    def stage():
        out = paths.derived("rf")
        assert out != derived / "rf"  # writing into the staging copy
        assert (out / "search.json").read_text() == "old search\n"  # an earlier stage's file is readable
        pv.atomic_write_text(out / "metrics.csv", "new metrics\n")
        pv.atomic_write_text(out / "models" / "soil_As.json", "{}\n")
        pv.atomic_write_text(paths.audit_file("rf.csv"), "new audit\n")
        assert not (derived / "rf" / "models").exists()  # nothing visible before the commit
        return {"metrics": out / "metrics.csv"}

    got = stage()
    assert got == {"metrics": derived / "rf" / "metrics.csv"}  # returned paths name the committed files
    assert _listing(derived) == {
        "rf/metrics.csv": b"new metrics\n",
        "rf/search.json": b"old search\n",
        "rf/models/soil_As.json": b"{}\n",
    }
    assert _listing(audit) == {"rf.csv": b"new audit\n", "stats.csv": b"other stage's audit\n"}
    assert paths.STAGED == {}
    assert sorted(p.name for p in derived.iterdir()) == ["rf"]  # no staging or retired folder left


def test_a_failure_leaves_the_committed_outputs_untouched(project):
    derived, audit = project
    before = _listing(derived.parent)

    @pv.committed("rf")
    def stage():
        pv.atomic_write_text(paths.derived("rf") / "metrics.csv", "half\n")
        pv.atomic_write_text(paths.audit_file("rf.csv"), "half\n")
        raise ValueError("a NaN in the spec")

    with pytest.raises(ValueError):
        stage()
    assert _listing(derived.parent) == before
    assert sorted(p.name for p in derived.iterdir()) == ["rf"] and paths.STAGED == {}


def test_provenance_inside_a_stage_names_the_committed_paths(project):
    derived, _ = project
    with pv.commit_together("rf") as stage:
        assert pv._rel(stage / "metrics.csv") == pv._rel(derived / "rf" / "metrics.csv")
        assert "staging" not in pv._rel(paths.audit_file("rf.csv"))


def test_a_write_in_place_through_a_hard_link_is_refused(project):
    derived, _ = project
    with pytest.raises(RuntimeError, match=r"written in place inside a staging folder"):
        with pv.commit_together("rf") as stage:
            with open(stage / "search.json", "a") as fh:  # not via a temporary file + rename
                fh.write("appended\n")
    assert paths.STAGED == {}


def test_recover_puts_back_a_retired_copy_and_removes_dead_staging(project):
    derived, _ = project
    dead = 2**22 + 12345  # above the default pid_max range
    os.rename(derived / "rf", derived / f".retired-rf-{dead}")  # killed between the two renames
    (derived / f".staging-rf-{dead}").mkdir()
    pv.recover(derived / "rf")
    assert sorted(p.name for p in derived.iterdir()) == ["rf"]
    assert (derived / "rf" / "metrics.csv").read_text() == "old metrics\n"


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tarimhm import paths, provenance as pv
    paths.DATA_DERIVED, paths.AUDIT = Path(sys.argv[1]), Path(sys.argv[2])

    @pv.committed("rf")
    def stage():
        pv.atomic_write_text(paths.derived("rf") / "metrics.csv", "new metrics of a run that dies\\n")
        pv.atomic_write_text(paths.audit_file("rf.csv"), "new audit of a run that dies\\n")
        print("written", flush=True)
        time.sleep(60)

    stage()
    """
)


def test_sigkill_mid_stage_leaves_the_last_commit_and_the_rerun_cleans_up(project, tmp_path):
    derived, audit = project
    before = _listing(derived.parent)
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(derived), str(audit)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    time.sleep(0.1)
    assert {k: v for k, v in _listing(derived.parent).items() if ".staging-" not in k} == before
    assert any(p.name.startswith(".staging-rf-") for p in derived.iterdir())
    with pv.commit_together("rf"):
        pass  # the next run of a stage of the domain removes what the killed one left
    assert sorted(p.name for p in derived.iterdir()) == ["rf"]
    assert sorted(p.name for p in audit.parent.iterdir()) == ["audit"]
    assert _listing(derived.parent) == before
