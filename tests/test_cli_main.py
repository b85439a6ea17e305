"""How the command line starts and stops: ``python -m naslib_zero.cli`` and a closed pipe."""

from __future__ import annotations

import os
import subprocess
import sys

from naslib_zero.cli import main


def test_python_dash_m_runs_the_command_line_without_warnings() -> None:
    result = subprocess.run([sys.executable, "-W", "error", "-m", "naslib_zero.cli", "spaces"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("darts\t") and result.stderr == ""


class _ClosedPipe:
    """A stdout whose reader has gone: every write raises BrokenPipeError."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self.fd


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(monkeypatch, capsys) -> None:
    read_end, write_end = os.pipe()
    try:
        monkeypatch.setattr(sys, "stdout", _ClosedPipe(write_end))
        assert main(["proxies"]) == 141
    finally:
        os.close(read_end)
        os.close(write_end)
    assert capsys.readouterr().err == ""
