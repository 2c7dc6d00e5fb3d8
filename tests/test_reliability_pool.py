"""Issue 12: errors cross the process pool with their item; workers never outlive their owner;
the CLI fails in one line."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mirbook import __main__ as cli
from mirbook import utils
from mirbook.errors import AudioFileError, DownloadError, ParameterError


class Unpicklable(Exception):
    def __init__(self, a, b):  # pickling calls Unpicklable(msg): TypeError on the way back
        super().__init__(f"{a}/{b}")


def work(item):
    if item == "bad-file":
        raise AudioFileError("take.wav", "truncated: 10 of 100 frames")
    if item == "odd-error":
        raise Unpicklable("x", "y")
    if item == "crash":
        os._exit(3)
    if item == "param":
        raise ParameterError("n_fft=0: expected a positive integer")
    return item * 2


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("bad,kind,text", [
    ("bad-file", AudioFileError, "take.wav: truncated"),
    ("odd-error", None, "Unpicklable: x/y"),
    ("param", ParameterError, "n_fft=0"),
])
def test_a_failing_item_is_named_and_the_others_finish(n_jobs, bad, kind, text):
    items = ["a", bad, "b", "c"]
    results, info = utils.parallel_map(items, func=work, n_jobs=n_jobs, return_info=True)
    assert results == ["aa", None, "bb", "cc"]
    [(label, err)] = info["failures"]
    assert label == repr(bad) and text in str(err)
    if kind is not None:
        assert type(err) is kind
    with pytest.raises(utils.ItemError, match=f"(?s)1 item\\(s\\) failed.*{bad}") as e:
        utils.parallel_map(items, func=work, n_jobs=n_jobs)
    assert e.value.results == ["aa", None, "bb", "cc"]
    again = pickle.loads(pickle.dumps(e.value))
    assert str(again) == str(e.value)


def test_a_crashed_worker_is_blamed_on_its_item_only():
    items = ["a", "b", "crash", "c", "d"]
    results, info = utils.parallel_map(items, func=work, n_jobs=2, return_info=True)
    assert results == ["aa", "bb", None, "cc", "dd"]
    [(label, err)] = info["failures"]
    assert label == "'crash'" and "worker process died" in str(err)


@pytest.mark.parametrize("err", [
    AudioFileError("x.wav", "bad"), DownloadError("http://h/x", "HTTP 500", status=500),
    ParameterError("sr=0: bad"), utils.ItemError([("'a'", AudioFileError("a", "b"))]),
])
def test_errors_keep_their_message_through_pickle(err):
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err) and str(err)


@pytest.mark.parametrize("n_jobs", [0, -3, 1.5, "2"])
def test_parallel_map_refuses_bad_n_jobs(n_jobs):
    with pytest.raises(ParameterError, match="n_jobs"):
        utils.parallel_map([1], func=abs, n_jobs=n_jobs)


OWNER = textwrap.dedent("""
    import os, sys, time
    from mirbook.utils import process_pool
    pool = process_pool(max_workers=2)
    pids = list(pool.submit(os.getpid).result() for _ in range(4))
    pool.submit(time.sleep, 600)
    import multiprocessing.forkserver as fs
    print(" ".join(map(str, sorted(set(pids)))), fs._forkserver._forkserver_pid, flush=True)
    time.sleep(600)
""")


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_owner_leaves_no_worker_running():
    proc = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        workers, server = [int(p) for p in line[:-1]], int(line[-1])
        assert workers and all(_alive(p) for p in workers)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in workers + [server]):
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)], "workers outlived their owner"
        assert not _alive(server), "the fork server outlived its owner"
    finally:
        if proc.poll() is None:
            proc.kill()


# ---- CLI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["0", "-3", "x", "1.5"])
def test_jobs_arg_refuses(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="--jobs"):
        utils.jobs_arg(text)


def test_mirbook_data_that_is_a_file(tmp_path, monkeypatch, capsys):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    monkeypatch.setenv("MIRBOOK_DATA", str(f))
    assert cli.main(["data", "info"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MIRBOOK_DATA" in err and "not a folder" in err


@pytest.mark.parametrize("exc", [
    AudioFileError("x.wav", "truncated"), RuntimeError("line one\nline two"),
    FileNotFoundError(2, "No such file", "/nope"), DownloadError("http://h/x", "HTTP 500"),
])
def test_a_failure_is_one_line_no_traceback(monkeypatch, capsys, exc):
    import types

    fake = types.ModuleType("mirbook_fake_command")

    def main(argv):
        raise exc

    fake.main = main
    monkeypatch.setitem(sys.modules, "mirbook_fake_command", fake)
    monkeypatch.setitem(cli.COMMANDS, "data", ("mirbook_fake_command", "fake"))
    monkeypatch.delenv("MIRBOOK_DEBUG", raising=False)
    monkeypatch.delenv("MIRBOOK_DATA", raising=False)
    assert cli.main(["data"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mirbook data: ")
    assert "Traceback" not in err


def blas_threads(_):
    from threadpoolctl import threadpool_info

    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_workers_have_one_blas_thread():
    # the parallelism is over items, and the rounding of a matrix product depends on how many
    # threads share it: every worker has one, whatever the machine
    assert utils.parallel_map([0, 1], func=blas_threads, n_jobs=2) == [{1}, {1}]
