"""A minimal Pulumi language host for Python programs, written for this project.

Why it exists: Pulumi's own Python language host (`pulumi-language-python`) is a Go module with no tagged
versions, and the Go module proxy reachable from our machines serves none of its pseudo-versions. Everything
else in the toolchain is Pulumi's own code: the CLI and engine (built from `pkg/v3`), the program launcher
`pulumi-language-python-exec` and the dynamic-provider host `pulumi-resource-pulumi-python` (both copied from
the `sdk/v3` module). This host only bridges the engine to that launcher, the same way Pulumi's Go host does:

- the engine starts it with its own gRPC address as the last argument and reads the port it prints;
- `Run` starts `pulumi-language-python-exec` with the project's Python (the `virtualenv` runtime option of
  `Pulumi.yaml`, else `python3`), passes the stack config through `PULUMI_CONFIG`, and maps exit code 32
  ("error already reported") to `bail`, as the Go host does;
- plugin discovery returns nothing: dynamic providers need no plugin besides `pulumi-resource-pulumi-python`;
- like Pulumi's own plugins, it watches the engine and exits (stopping the program it runs) when the engine
  is gone, so a `pulumi up` killed with SIGKILL leaves no orphan behind.

It needs `grpcio` and the `pulumi` SDK (for the generated gRPC stubs) in the interpreter that runs it;
`scripts/install-pulumi` gives it a small virtualenv of its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

HOST_VERSION = "3.274.1"
EXEC_SCRIPT_NAME = "pulumi-language-python-exec"
BAIL_EXIT_CODE = 32  # the launcher's "the error was already reported to the engine"
ENGINE_CHECK_SECONDS = 1.0
ENGINE_MISSES_BEFORE_EXIT = 3
MAX_MESSAGE_BYTES = 400 * 1024 * 1024  # the engine's own gRPC limit


def find_exec_script() -> Path:
    """The launcher sits next to this host (installed side by side)."""
    here = Path(os.path.realpath(sys.argv[0])).parent
    for candidate in (here / EXEC_SCRIPT_NAME, Path(__file__).resolve().parent / EXEC_SCRIPT_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{EXEC_SCRIPT_NAME} must be installed next to the Python language host")


def option(info: Any, name: str) -> str | None:
    """One runtime option of Pulumi.yaml (`runtime.options.<name>`), if set."""
    if info is None or not info.HasField("options"):
        return None
    value = info.options.fields.get(name)
    return value.string_value if value is not None and value.string_value else None


def resolve_python(info: Any, fallback_dir: str) -> str:
    """The interpreter that runs the program: the project's virtualenv when Pulumi.yaml names one."""
    root = info.root_directory if info is not None and info.root_directory else fallback_dir
    virtualenv = option(info, "virtualenv") or os.environ.get("PULUMI_RUNTIME_VIRTUALENV")
    if virtualenv:
        venv = Path(virtualenv) if os.path.isabs(virtualenv) else Path(root) / virtualenv
        python = venv / "bin" / "python"
        if not python.exists():
            raise FileNotFoundError(
                f"The virtualenv {venv} named in Pulumi.yaml does not exist: create it with "
                f"'python3 -m venv {venv}' and install the project's dependencies into it"
            )
        return str(python)
    return os.environ.get("PULUMI_PYTHON_CMD", "python3")


class PythonLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):  # type: ignore[misc]
    """Serves the LanguageRuntime calls that `preview`, `up`, `refresh`, `destroy` and `about` make."""

    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address
        self._lock = threading.Lock()
        self._programs: set[subprocess.Popen[bytes]] = set()

    def stop_programs(self) -> None:
        with self._lock:
            for program in self._programs:
                program.kill()

    def Handshake(self, request: Any, context: Any) -> Any:
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=HOST_VERSION)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def About(self, request: Any, context: Any) -> Any:
        info = request.info if request.HasField("info") else None
        python = resolve_python(info, os.getcwd())
        version = subprocess.run(
            [python, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return language_pb2.AboutResponse(executable=python, version=version)

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        info = request.info if request.HasField("info") else None
        python = resolve_python(info, os.getcwd())
        listed = subprocess.run(
            [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            check=False,
        )
        packages = json.loads(listed.stdout) if listed.returncode == 0 and listed.stdout else []
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[language_pb2.DependencyInfo(name=p["name"], version=p["version"]) for p in packages]
        )

    def Run(self, request: Any, context: Any) -> Any:
        info = request.info if request.HasField("info") else None
        program_dir = info.program_directory if info is not None and info.program_directory else request.pwd
        entry_point = info.entry_point if info is not None and info.entry_point else request.program or "."
        program = str(Path(program_dir) / entry_point)
        root = info.root_directory if info is not None and info.root_directory else program_dir
        try:
            python = resolve_python(info, root)
        except FileNotFoundError as exc:
            return language_pb2.RunResponse(error=str(exc))
        command = [
            python,
            "-u",
            str(find_exec_script()),
            "--monitor", request.monitor_address,
            "--engine", self.engine_address,
            "--project", request.project,
            "--stack", request.stack,
            "--pwd", request.pwd or program_dir,
            "--dry_run", "true" if request.dryRun else "false",
            "--parallel", str(request.parallel),
            "--organization", request.organization or "organization",
            "--root_directory", root,
            program,
            *request.args,
        ]  # fmt: skip
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        env["PULUMI_ORGANIZATION"] = request.organization or "organization"
        program_process = subprocess.Popen(command, cwd=request.pwd or program_dir, env=env)
        with self._lock:
            self._programs.add(program_process)
        try:
            returncode = program_process.wait()
        finally:
            with self._lock:
                self._programs.discard(program_process)
        if returncode == 0:
            return language_pb2.RunResponse()
        if returncode == BAIL_EXIT_CODE:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {returncode}")


def engine_address_from(argv: list[str]) -> str:
    """The engine passes its address as the last positional argument, after any flags."""
    positional = [arg for arg in argv if not arg.startswith("-")]
    return positional[-1] if positional else ""


def engine_reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def watch_engine(address: str, stopped: threading.Event) -> None:
    """Set `stopped` once the engine has stopped answering (it was killed, or exited without telling us)."""
    misses = 0
    while not stopped.wait(ENGINE_CHECK_SECONDS):
        misses = 0 if engine_reachable(address) else misses + 1
        if misses >= ENGINE_MISSES_BEFORE_EXIT:
            stopped.set()


def main() -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    engine_address = engine_address_from(sys.argv[1:])
    host = PythonLanguageHost(engine_address)
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    if engine_address:
        threading.Thread(target=watch_engine, args=(engine_address, stopped), daemon=True).start()
    # A timed wait: a signal delivered to one of gRPC's threads only runs its handler once the main thread
    # executes Python code again, and an untimed wait would sleep through it until the engine's SIGKILL.
    while not stopped.wait(0.2):
        pass
    host.stop_programs()
    server.stop(grace=1)


if __name__ == "__main__":
    main()
