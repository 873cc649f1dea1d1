"""
Checks of ``docker-compose.yaml`` and ``Dockerfile`` without a Docker engine.

* The compose file is validated against the official Compose Specification JSON schema
  (``schema/compose-spec.json`` of https://github.com/compose-spec/compose-spec), loaded from the
  copy that the ``check-jsonschema`` package ships (``check_jsonschema/builtin_schemas/vendor``).
* Coherence checks: ``depends_on`` targets, images, the Airflow CLI commands each container runs
  (checked with ``airflow ... --help`` of the installed Airflow in a temporary ``AIRFLOW_HOME``),
  the emulator command, the ``dags/`` mount, the Airflow settings and the connection to the emulator.

Every checker returns a list of problems, and each is also run on a broken copy of the file, so that
a checker that cannot fail is noticed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
DOCKERFILE = REPO_ROOT / "Dockerfile"

EMULATOR_SERVICE = "emulator"
EMULATOR_MODULE = "airflow_provider_360learning.emulator"
CONN_ENV_VAR = "AIRFLOW_CONN_360LEARNING_DEFAULT"
CONN_ID = "360learning_default"
DAGS_TARGET = "/opt/airflow/dags"
BASE_IMAGE = "apache/airflow:3.3.2-python3.11"

# Long-running Airflow components and the Airflow CLI command each must run.
EXPECTED_AIRFLOW_COMMANDS = {
    "airflow-apiserver": ("api-server",),
    "airflow-scheduler": ("scheduler",),
    "airflow-dag-processor": ("dag-processor",),
    "airflow-triggerer": ("triggerer",),
    "airflow-worker": ("celery", "worker"),
}
INIT_SERVICE = "airflow-init"
AIRFLOW_SERVICES = {*EXPECTED_AIRFLOW_COMMANDS, INIT_SERVICE}
EXPECTED_SERVICES = {"postgres", "redis", EMULATOR_SERVICE, *AIRFLOW_SERVICES}

EXPECTED_AIRFLOW_ENV = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
}
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

# Commands of the official apache/airflow image entrypoint that are not Airflow CLI commands.
NON_AIRFLOW_ENTRYPOINT_COMMANDS = {"bash", "python"}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    # PyYAML resolves the anchors and "<<" merge keys the way Compose does.
    with COMPOSE_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture
def compose() -> dict[str, Any]:
    return load_compose()


@functools.cache
def load_compose_spec_schema() -> dict[str, Any]:
    try:
        from importlib.resources import files

        resource = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
        return json.loads(resource.read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        pytest.fail(
            "The Compose Specification schema is loaded from the test dependency "
            "'check-jsonschema' (check_jsonschema/builtin_schemas/vendor/compose-spec.json); "
            "install it: pip install check-jsonschema"
        )


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = load_compose_spec_schema()
    # The schema names its own dialect in "$schema" (draft-07 in older copies of compose-spec,
    # 2020-12 in newer ones); validator_for picks the matching validator class.
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    return sorted(
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    )


def as_tokens(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def depends_on_map(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):  # short syntax
        return {name: {"condition": "service_started"} for name in depends_on}
    return depends_on


def environment_map(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # "KEY=value" syntax
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: str, environ: dict[str, str] | None = None) -> str:
    """Compose-style interpolation of ${VAR}, ${VAR:-default}, ${VAR-default} and $$ (no env: defaults)."""
    environ = {} if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        value = environ.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        return value or ""

    return _INTERPOLATION.sub(replace, value)


def volume_targets(service: dict[str, Any]) -> dict[str, str]:
    """Map container path -> source of each volume of a service (short or long syntax)."""
    targets = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            targets[interpolate(str(volume["target"]))] = interpolate(str(volume.get("source", "")))
        else:
            parts = interpolate(str(volume)).split(":")
            if len(parts) == 1:  # anonymous volume
                targets[parts[0]] = ""
            else:
                targets[parts[1]] = parts[0]
    return targets


def option_value(tokens: list[str], option: str) -> str | None:
    for index, token in enumerate(tokens):
        if token == option and index + 1 < len(tokens):
            return tokens[index + 1]
        if token.startswith(option + "="):
            return token.split("=", 1)[1]
    return None


# --------------------------------------------------------------------------------------------------
# Airflow CLI, as the containers would run it
# --------------------------------------------------------------------------------------------------

_GROUP_USAGE = re.compile(r"^Usage: airflow\b.*\b(?:GROUP_OR_COMMAND|COMMAND) \.\.\.\s*$")
_SHELL_STOP_TOKENS = {">", ">>", "|", "||", "&&", ";", "&", "2>&1", ">/dev/null", "2>/dev/null"}


@functools.cache
def _airflow_home() -> str:
    return tempfile.mkdtemp(prefix="airflow-home-compose-test-")


def airflow_cli_env() -> dict[str, str]:
    """Environment of an Airflow CLI subprocess: a throw-away AIRFLOW_HOME, the compose executor."""
    compose_env = environment_map(load_compose()["services"]["airflow-scheduler"])
    env = {
        **os.environ,
        "AIRFLOW_HOME": _airflow_home(),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Executor-provided CLI groups ("celery") depend on the configured executor.
        "AIRFLOW__CORE__EXECUTOR": compose_env["AIRFLOW__CORE__EXECUTOR"],
    }
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONFIG", "AIRFLOW__CORE__DAGS_FOLDER"):
        env.pop(key, None)
    return env


# Runs "airflow <path> --help" for many paths in one interpreter (an Airflow start-up takes ~2 s):
# the same parser ``airflow.__main__.main`` builds, with argparse's exit code and output.
_HELP_SCRIPT = """
import contextlib, io, json, sys
from airflow import configuration  # first, as airflow/__main__.py does
from airflow.cli import cli_parser

parser = cli_parser.get_parser()
results = []
for path in json.loads(sys.stdin.read()):
    buffer = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            parser.parse_args([*path, "--help"])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    results.append([path, code, buffer.getvalue()])
print("@@RESULTS@@" + json.dumps(results))
"""
_HELP_CACHE: dict[tuple[str, ...], tuple[int, str]] = {}


def prefetch_airflow_help(paths: Iterable[tuple[str, ...]]) -> None:
    missing = sorted({tuple(path) for path in paths} - set(_HELP_CACHE))
    if not missing:
        return
    result = subprocess.run(
        [sys.executable, "-c", _HELP_SCRIPT],
        input=json.dumps(missing),
        capture_output=True,
        text=True,
        env=airflow_cli_env(),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0 and "@@RESULTS@@" in result.stdout, result.stderr[-3000:]
    for path, code, output in json.loads(result.stdout.split("@@RESULTS@@", 1)[1]):
        _HELP_CACHE[tuple(path)] = (code, output)


def airflow_help(path: tuple[str, ...]) -> tuple[int, str]:
    """Exit code and output of ``airflow <path> --help`` with the installed Airflow."""
    prefetch_airflow_help([path])
    return _HELP_CACHE[path]


def _command_prefixes(arguments: list[str]) -> Iterator[tuple[str, ...]]:
    yield ()
    words: list[str] = []
    for word in arguments[:3]:
        if word.startswith("-"):
            break
        words.append(word)
        yield tuple(words)


def cli_problems(arguments: list[str]) -> list[str]:
    """
    Problems of one ``airflow <arguments>`` invocation: unknown (sub)commands or options.

    The command path is extended one word at a time while Airflow reports a group
    ("COMMAND ..." in its usage line); the remaining words are arguments and options.
    """
    prefetch_airflow_help(_command_prefixes(arguments))
    words = list(arguments)
    path: list[str] = []
    code, output = airflow_help(())
    while words and _GROUP_USAGE.match(output.splitlines()[0] if output else ""):
        path.append(words.pop(0))
        code, output = airflow_help(tuple(path))
        if code != 0:
            return [f"'airflow {' '.join(path)}' is not an Airflow CLI command (exit code {code})"]
    if not path:
        return [f"'airflow {' '.join(arguments)}' runs no Airflow subcommand"]
    if _GROUP_USAGE.match(output.splitlines()[0]):
        return [f"'airflow {' '.join(path)}' is a command group, not a command"]
    problems = []
    for index, word in enumerate(words):
        if not word.startswith("-"):
            continue
        option = word.split("=", 1)[0]
        if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", output):
            problems.append(f"'airflow {' '.join(path)}' has no option {option}")
            continue
        choices = re.search(rf"{re.escape(option)} \{{([^}}]*)\}}", output)
        value = word.split("=", 1)[1] if "=" in word else (words[index + 1] if index + 1 < len(words) else None)
        if choices and value is not None and value not in choices.group(1).split(","):
            problems.append(f"'airflow {' '.join(path)} {option}' does not accept {value!r}")
    return problems


_COMMAND_POSITION_AFTER = {*_SHELL_STOP_TOKENS, "then", "do", "else", "exec", "time", "!", "command"}


def _is_airflow_at_command_position(tokens: list[str], index: int) -> bool:
    if tokens[index] != "airflow" and not tokens[index].endswith("/bin/airflow"):
        return False
    if index == 0:
        return True
    previous = tokens[index - 1]
    # "/entrypoint airflow ..." is how the apache/airflow image runs Airflow from a script.
    return previous in _COMMAND_POSITION_AFTER or previous.endswith("entrypoint")


def airflow_invocations_in_shell(script: str) -> Iterator[list[str]]:
    """Yield the arguments of every ``airflow ...`` call in a shell script or shell command."""
    for raw_line in interpolate(script).replace("\\\n", " ").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index in range(len(tokens)):
            if _is_airflow_at_command_position(tokens, index):
                arguments = []
                for argument in tokens[index + 1 :]:
                    if argument in _SHELL_STOP_TOKENS or argument.startswith((">", "2>", "|")):
                        break
                    arguments.append(argument)
                yield arguments


def service_airflow_invocations(name: str, service: dict[str, Any]) -> list[list[str]]:
    """Arguments of every Airflow CLI call a service makes (command, script, healthcheck)."""
    invocations = []
    entrypoint = as_tokens(service["entrypoint"]) if "entrypoint" in service else None
    command = [interpolate(word) for word in as_tokens(service["command"])] if "command" in service else []
    if entrypoint is None:
        # apache/airflow image entrypoint: "airflow" is implied unless the command is bash/python.
        if command and command[0] == "airflow":
            command = command[1:]
        if command and command[0] not in NON_AIRFLOW_ENTRYPOINT_COMMANDS:
            invocations.append(command)
    elif Path(entrypoint[0]).name in {"bash", "sh"}:
        script = command[command.index("-c") + 1] if "-c" in command else ""
        invocations.extend(airflow_invocations_in_shell(script))
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if test and test[0] == "CMD-SHELL":
        invocations.extend(airflow_invocations_in_shell(" ".join(test[1:])))
    elif test and test[0] == "CMD" and len(test) > 1 and Path(test[1]).name == "airflow":
        invocations.append([interpolate(word) for word in test[2:]])
    return invocations


def airflow_cli_problems(compose: dict[str, Any]) -> list[str]:
    calls = [
        (name, arguments)
        for name, service in compose["services"].items()
        if name in AIRFLOW_SERVICES
        for arguments in service_airflow_invocations(name, service)
    ]
    prefetch_airflow_help(prefix for _, arguments in calls for prefix in _command_prefixes(arguments))
    return [f"{name}: {problem}" for name, arguments in calls for problem in cli_problems(arguments)]


# --------------------------------------------------------------------------------------------------
# Coherence checkers (each returns a list of problems)
# --------------------------------------------------------------------------------------------------


def service_set_problems(compose: dict[str, Any]) -> list[str]:
    services = set(compose.get("services", {}))
    return [f"missing service {name!r}" for name in sorted(EXPECTED_SERVICES - services)]


def image_problems(compose: dict[str, Any]) -> list[str]:
    return [
        f"{name}: neither image nor build"
        for name, service in compose["services"].items()
        if not service.get("image") and not service.get("build")
    ]


def build_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            continue
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        if not (COMPOSE_FILE.parent / context / dockerfile).is_file():
            problems.append(f"{name}: build file {context}/{dockerfile} does not exist")
    return problems


def depends_on_problems(compose: dict[str, Any]) -> list[str]:
    services = compose["services"]
    problems = []
    for name, service in services.items():
        for target, spec in depends_on_map(service).items():
            condition = (spec or {}).get("condition", "service_started")
            if target not in services:
                problems.append(f"{name}: depends on unknown service {target!r}")
                continue
            if target == name:
                problems.append(f"{name}: depends on itself")
            if condition not in DEPENDS_ON_CONDITIONS:
                problems.append(f"{name}: unknown condition {condition!r} for {target!r}")
            if condition == "service_healthy" and not (services[target].get("healthcheck") or {}).get("test"):
                problems.append(f"{name}: waits for {target!r} to be healthy, but it has no healthcheck")
            if condition == "service_completed_successfully" and services[target].get("restart") in {
                "always",
                "unless-stopped",
            }:
                problems.append(f"{name}: waits for {target!r} to complete, but it is restarted forever")
    # No cycles.
    graph = {name: set(depends_on_map(service)) & set(services) for name, service in services.items()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        if node in visiting:
            problems.append(f"dependency cycle through {node!r}")
            return
        visiting.add(node)
        for child in graph[node]:
            visit(child)
        visiting.discard(node)
        done.add(node)

    for node in graph:
        visit(node)
    return problems


def airflow_startup_order_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name in EXPECTED_AIRFLOW_COMMANDS:
        depends_on = depends_on_map(compose["services"].get(name, {}))
        expected = {
            "postgres": "service_healthy",
            "redis": "service_healthy",
            INIT_SERVICE: "service_completed_successfully",
        }
        for target, condition in expected.items():
            actual = (depends_on.get(target) or {}).get("condition")
            if actual != condition:
                problems.append(f"{name}: depends_on {target} should be {condition}, is {actual}")
    init_depends_on = depends_on_map(compose["services"].get(INIT_SERVICE, {}))
    for target in ("postgres", "redis"):
        if (init_depends_on.get(target) or {}).get("condition") != "service_healthy":
            problems.append(f"{INIT_SERVICE}: must wait for {target} to be healthy")
    for name in ("airflow-apiserver", "airflow-worker", "airflow-triggerer"):
        depends_on = depends_on_map(compose["services"].get(name, {}))
        if (depends_on.get(EMULATOR_SERVICE) or {}).get("condition") != "service_healthy":
            problems.append(f"{name}: calls the 360Learning API and must wait for a healthy emulator")
    return problems


def airflow_command_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, expected in EXPECTED_AIRFLOW_COMMANDS.items():
        service = compose["services"].get(name, {})
        command = as_tokens(service.get("command", []))
        if command[:1] == ["airflow"]:
            command = command[1:]
        if tuple(command[: len(expected)]) != expected:
            problems.append(f"{name}: runs {command!r}, expected 'airflow {' '.join(expected)}'")
    init_calls = service_airflow_invocations(INIT_SERVICE, compose["services"].get(INIT_SERVICE, {}))
    if not any(call[:2] == ["db", "migrate"] for call in init_calls):
        problems.append(f"{INIT_SERVICE}: does not run 'airflow db migrate'")
    return problems


def emulator_problems(compose: dict[str, Any]) -> list[str]:
    service = compose["services"].get(EMULATOR_SERVICE)
    if service is None:
        return [f"no {EMULATOR_SERVICE!r} service"]
    problems = []
    command = as_tokens(service.get("command", []))
    if command[:3] != ["python", "-m", EMULATOR_MODULE]:
        problems.append(f"emulator: command {command!r} does not run 'python -m {EMULATOR_MODULE}'")
    if option_value(command, "--host") != "0.0.0.0":
        problems.append("emulator: must listen on all interfaces (--host 0.0.0.0) inside its container")
    port = option_value(command, "--port")
    if port is None or not port.isdigit():
        problems.append("emulator: no numeric --port")
    if importlib.util.find_spec(EMULATOR_MODULE.split(".")[0]) is None:
        problems.append(f"emulator: package of {EMULATOR_MODULE} is not importable")
    test = (service.get("healthcheck") or {}).get("test")
    if not test:
        problems.append("emulator: no healthcheck")
    elif isinstance(test, list) and test[:3] == ["CMD", "python", "-c"]:
        code = test[3]
        try:
            compile(code, "<emulator healthcheck>", "exec")
        except SyntaxError as error:
            problems.append(f"emulator: healthcheck is not valid Python: {error}")
        if port and port not in code:
            problems.append(f"emulator: healthcheck does not probe port {port}")
    return problems


def dags_mount_problems(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name in sorted(AIRFLOW_SERVICES):
        targets = volume_targets(compose["services"].get(name, {}))
        source = targets.get(DAGS_TARGET)
        if source is None:
            problems.append(f"{name}: dags/ is not mounted at {DAGS_TARGET}")
        elif not source.rstrip("/").endswith("dags"):
            problems.append(f"{name}: {DAGS_TARGET} is mounted from {source!r}, not the dags/ folder")
    if not (REPO_ROOT / "dags").is_dir():
        problems.append("the repository has no dags/ folder to mount")
    return problems


def warehouse_volume_problems(compose: dict[str, Any]) -> list[str]:
    """The embedded DuckDB warehouse file is on one named volume that every Airflow container mounts."""
    from airflow_provider_360learning.transfers.embedded import EMBEDDED_PATH_ENV

    problems = []
    named = set(compose.get("volumes") or {})
    sources: set[str | None] = set()
    for name in sorted(AIRFLOW_SERVICES):
        service = compose["services"].get(name, {})
        path = environment_map(service).get(EMBEDDED_PATH_ENV)
        if not path:
            problems.append(f"{name}: {EMBEDDED_PATH_ENV} is not set (the file would sit inside the container)")
            continue
        folder = str(PurePosixPath(path).parent)
        source = volume_targets(service).get(folder)
        sources.add(source)
        if source is None:
            problems.append(f"{name}: nothing is mounted at {folder}, the folder of {path}")
        elif source not in named:
            problems.append(f"{name}: {folder} is mounted from {source!r}, not a named volume of the file")
    if len(sources) > 1:
        problems.append(f"the Airflow containers do not share one warehouse volume: {sorted(map(str, sources))}")
    return problems


def airflow_environment_problems(compose: dict[str, Any]) -> list[str]:
    services = compose["services"]
    problems = []
    for name in sorted(AIRFLOW_SERVICES):
        env = environment_map(services.get(name, {}))
        for key, expected in EXPECTED_AIRFLOW_ENV.items():
            if env.get(key) != expected:
                problems.append(f"{name}: {key}={env.get(key)!r}, expected {expected!r}")
        sql_conn = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
        if urlsplit(sql_conn).scheme.split("+")[0] != "postgresql" or urlsplit(sql_conn).hostname != "postgres":
            problems.append(f"{name}: metadata DB {sql_conn!r} is not the postgres service")
        broker = env.get("AIRFLOW__CELERY__BROKER_URL", "")
        if urlsplit(broker).scheme != "redis" or urlsplit(broker).hostname != "redis":
            problems.append(f"{name}: Celery broker {broker!r} is not the redis service")
        if env.get(CONN_ENV_VAR) is None:
            problems.append(f"{name}: no {CONN_ENV_VAR}")
    connections = {environment_map(services.get(name, {})).get(CONN_ENV_VAR) for name in AIRFLOW_SERVICES}
    if len(connections) > 1:
        problems.append(f"the Airflow services disagree on {CONN_ENV_VAR}")
    return problems


def connection_problems(compose: dict[str, Any]) -> list[str]:
    from airflow_provider_360learning.get_provider_info import get_provider_info

    services = compose["services"]
    raw = environment_map(services.get("airflow-worker", {})).get(CONN_ENV_VAR)
    if raw is None:
        return [f"no {CONN_ENV_VAR}"]
    try:
        conn = json.loads(raw)
    except json.JSONDecodeError as error:
        return [f"{CONN_ENV_VAR} is not JSON: {error}"]
    problems = []
    if conn.get("conn_type") != "360learning":
        problems.append(f"conn_type is {conn.get('conn_type')!r}, not '360learning'")
    for key in ("login", "password", "host"):
        if not conn.get(key):
            problems.append(f"connection has no {key}")
    url = urlsplit(conn.get("host", ""))
    if url.scheme not in {"http", "https"}:
        problems.append(f"connection host {conn.get('host')!r} is not an http(s) URL")
    if url.hostname not in services:
        problems.append(f"connection host {url.hostname!r} is not a compose service")
    elif url.hostname != EMULATOR_SERVICE:
        problems.append(f"connection host {url.hostname!r} is not the emulator")
    else:
        emulator_port = option_value(as_tokens(services[EMULATOR_SERVICE].get("command", [])), "--port")
        if str(url.port) != str(emulator_port):
            problems.append(f"connection port {url.port} is not the emulator's --port {emulator_port}")
    extra = conn.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    (conn_type_info,) = [
        entry for entry in get_provider_info()["connection-types"] if entry["connection-type"] == "360learning"
    ]
    conn_fields = conn_type_info.get("conn-fields", {})
    for key, value in extra.items():
        if key not in conn_fields:
            problems.append(f"extra key {key!r} is not a conn-field of the provider")
            continue
        errors = list(jsonschema.Draft7Validator(conn_fields[key]["schema"]).iter_errors(value))
        problems.extend(f"extra {key}={value!r}: {error.message}" for error in errors)
    return problems


# --------------------------------------------------------------------------------------------------
# Tests on the real file
# --------------------------------------------------------------------------------------------------


def test_compose_spec_schema_is_the_official_one():
    schema = load_compose_spec_schema()
    assert schema["title"] == "Compose Specification"
    assert schema["$id"] == "compose_spec.json"
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_compose_file_validates_against_compose_spec(compose):
    assert schema_errors(compose) == []


def test_has_all_services(compose):
    assert service_set_problems(compose) == []


def test_every_service_has_an_image_or_build(compose):
    assert image_problems(compose) == []
    assert build_problems(compose) == []


def test_depends_on_targets_exist_and_conditions_are_sound(compose):
    assert depends_on_problems(compose) == []


def test_airflow_startup_order(compose):
    assert airflow_startup_order_problems(compose) == []


def test_airflow_services_run_the_expected_commands(compose):
    assert airflow_command_problems(compose) == []


def test_airflow_cli_calls_exist_in_installed_airflow(compose):
    problems = airflow_cli_problems(compose)
    assert problems == [], (
        "Airflow CLI calls unknown to the installed Airflow (the 'celery' group needs "
        f"apache-airflow-providers-celery): {problems}"
    )


def test_worker_healthcheck_celery_app_module_exists(compose):
    # find_spec imports the parent packages, i.e. Airflow: tests/conftest.py gave it a throw-away home.
    test = compose["services"]["airflow-worker"]["healthcheck"]["test"]
    modules = re.findall(r"--app\s+([\w.]+)\.app\b", " ".join(test))
    assert modules, "the worker healthcheck does not ping a Celery app"
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module


def test_emulator_service(compose):
    assert emulator_problems(compose) == []


def _emulator_written() -> bool:
    # The emulator distribution's folder (emulator/src/) holds its portion of the provider's package.
    package_dir = REPO_ROOT / "emulator" / "src" / Path(*EMULATOR_MODULE.split("."))
    return package_dir.with_suffix(".py").is_file() or (package_dir / "__init__.py").is_file()


@pytest.mark.skipif(not _emulator_written(), reason="the emulator package (its __init__.py) is not written yet")
def test_emulator_module_is_runnable_with_python_m():
    spec = importlib.util.find_spec(EMULATOR_MODULE)
    assert spec is not None, f"{EMULATOR_MODULE} is not importable"
    if spec.submodule_search_locations is not None:  # a package: "python -m" runs its __main__
        assert importlib.util.find_spec(f"{EMULATOR_MODULE}.__main__") is not None, (
            f"'python -m {EMULATOR_MODULE}' needs {EMULATOR_MODULE}.__main__"
        )


def test_dags_folder_is_mounted(compose):
    assert dags_mount_problems(compose) == []


def test_embedded_warehouse_is_on_a_named_volume_every_airflow_container_shares(compose):
    assert warehouse_volume_problems(compose) == []


def test_airflow_environment(compose):
    assert airflow_environment_problems(compose) == []


def test_connection_points_to_the_emulator(compose):
    assert connection_problems(compose) == []


def test_airflow_parses_the_connection(compose):
    """Airflow itself reads the env-var connection the way the init container does."""
    raw = environment_map(compose["services"]["airflow-worker"])[CONN_ENV_VAR]
    env = {**airflow_cli_env(), CONN_ENV_VAR: raw}
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "connections", "get", CONN_ID, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (parsed,) = json.loads(result.stdout[result.stdout.index("[") :])
    assert parsed["conn_type"] == "360learning"
    assert parsed["host"] == "http://emulator:8360"
    assert parsed["login"] == "emulator-client-id"
    assert parsed["extra_dejson"] == {"region": "eu", "rate_limit_backend": "redis://redis:6379/1"}


def test_connection_budget_is_shared_through_the_stacks_redis(compose):
    """Every worker of the stack shares one rate-limit budget: the connection's backend is the stack's Redis."""
    from types import SimpleNamespace

    from airflow_provider_360learning.client.rate_limit import parse_backend
    from airflow_provider_360learning.client.services import three_sixty_learning_settings

    raw = json.loads(environment_map(compose["services"]["airflow-worker"])[CONN_ENV_VAR])
    conn = SimpleNamespace(
        conn_id=CONN_ID,
        port=None,
        schema=None,
        extra_dejson=raw["extra"],
        **{k: raw[k] for k in ("login", "password", "host")},
    )
    settings = three_sixty_learning_settings(conn)
    assert settings.rate_limit_backend.startswith("redis://redis:6379/")
    assert "redis" in compose["services"] and parse_backend(settings.rate_limit_backend) is not None


def test_dockerfile():
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    froms = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    assert froms == [BASE_IMAGE]

    tested_version = importlib.metadata.version("apache-airflow")
    image_version = BASE_IMAGE.split(":")[1].split("-")[0]
    assert image_version.split(".")[:2] == tested_version.split(".")[:2], (
        f"image Airflow {image_version} vs tested Airflow {tested_version}"
    )
    runs = " ".join(line for line in instructions if line.upper().startswith("RUN "))
    assert re.search(r"pip install --no-cache-dir\b.*[\"']?\.\[emulator\][\"']?", runs), runs
    # The extra names the emulator distribution, which only the local folder provides: same pip command.
    assert re.search(r"pip install --no-cache-dir\b.*\.\[emulator\][\"']? \./emulator\b", runs), runs
    with (REPO_ROOT / "pyproject.toml").open("rb") as f:
        extras = tomllib.load(f)["project"].get("optional-dependencies", {})
    assert "emulator" in extras, "the image installs '.[emulator]' but pyproject.toml has no such extra"
    copies = [shlex.split(line)[1:] for line in instructions if line.upper().startswith("COPY ")]
    sources = [word for words in copies for word in words[:-1] if not word.startswith("--")]
    assert "airflow_provider_360learning" in sources
    assert "pyproject.toml" in sources
    assert {"emulator/pyproject.toml", "emulator/README.md", "emulator/src"} <= set(sources), sources
    for source in sources:
        if not any(char in source for char in "*?["):
            assert (REPO_ROOT / source).exists(), f"COPY source {source} does not exist"


# --------------------------------------------------------------------------------------------------
# The checkers can fail: broken copies are rejected
# --------------------------------------------------------------------------------------------------


def _broken(compose: dict[str, Any], mutate) -> dict[str, Any]:
    # A JSON round trip, not deepcopy: YAML merge keys share nested dicts between services, and a
    # broken copy must differ from the real file only where the mutation says.
    document = json.loads(json.dumps(compose))
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("mutate", "expected_path"),
    [
        pytest.param(
            lambda d: d["services"]["airflow-worker"]["depends_on"]["redis"].update(condition="service_ready"),
            "services/airflow-worker/depends_on",
            id="unknown-depends-on-condition",
        ),
        pytest.param(
            lambda d: d["services"]["airflow-scheduler"].update(comand="scheduler"),
            "services/airflow-scheduler:",
            id="misspelt-service-key",
        ),
        pytest.param(
            lambda d: d["services"]["emulator"].update(ports={"8360": 8360}),
            "services/emulator/ports",
            id="ports-not-a-list",
        ),
        pytest.param(
            lambda d: d["services"]["postgres"]["healthcheck"].update(test=42),
            "services/postgres/healthcheck/test",
            id="healthcheck-test-not-a-command",
        ),
        pytest.param(
            lambda d: d["services"]["redis"].update(volumes="redis-data:/data"),
            "services/redis/volumes",
            id="volumes-not-a-list",
        ),
        pytest.param(lambda d: d.update(servics={}), ": ", id="unknown-top-level-key"),
    ],
)
def test_schema_rejects_broken_copies(compose, mutate, expected_path):
    errors = schema_errors(_broken(compose, mutate))
    assert errors, "the broken copy was accepted by the Compose Specification schema"
    assert any(error.startswith(expected_path) for error in errors), errors


def test_schema_rejects_broken_yaml_text():
    broken_text = COMPOSE_FILE.read_text(encoding="utf-8").replace(
        "condition: service_completed_successfully", "condition: finished", 1
    )
    assert broken_text != COMPOSE_FILE.read_text(encoding="utf-8")
    assert schema_errors(yaml.safe_load(broken_text))


@pytest.mark.parametrize(
    ("checker", "mutate", "expected"),
    [
        pytest.param(
            depends_on_problems,
            lambda d: d["services"]["airflow-scheduler"]["depends_on"].update(airflow_init={}),
            "unknown service 'airflow_init'",
            id="depends-on-unknown-service",
        ),
        pytest.param(
            depends_on_problems,
            lambda d: d["services"]["emulator"].pop("healthcheck"),
            "has no healthcheck",
            id="healthy-without-healthcheck",
        ),
        pytest.param(
            depends_on_problems,
            lambda d: d["services"]["airflow-init"].update(restart="always"),
            "restarted forever",
            id="completed-but-restarted",
        ),
        pytest.param(
            depends_on_problems,
            lambda d: d["services"]["postgres"].update(
                depends_on={"airflow-scheduler": {"condition": "service_started"}}
            ),
            "dependency cycle",
            id="cycle",
        ),
        pytest.param(
            image_problems,
            lambda d: [d["services"]["redis"].pop("image")],
            "redis: neither image nor build",
            id="no-image",
        ),
        pytest.param(
            airflow_startup_order_problems,
            lambda d: d["services"]["airflow-triggerer"]["depends_on"].pop("airflow-init"),
            "airflow-triggerer: depends_on airflow-init",
            id="no-wait-for-init",
        ),
        pytest.param(
            airflow_command_problems,
            lambda d: d["services"]["airflow-apiserver"].update(command="webserver"),
            "airflow-apiserver: runs ['webserver']",
            id="airflow2-webserver",
        ),
        pytest.param(
            emulator_problems,
            lambda d: d["services"]["emulator"].update(
                command="python -m airflow_provider_360learning.emulator --port 8360"
            ),
            "--host 0.0.0.0",
            id="emulator-on-loopback",
        ),
        pytest.param(
            emulator_problems,
            lambda d: d["services"]["emulator"].update(command="python -m emulator --host 0.0.0.0 --port 8360"),
            "does not run 'python -m airflow_provider_360learning.emulator'",
            id="emulator-wrong-module",
        ),
        pytest.param(
            dags_mount_problems,
            lambda d: d["services"]["airflow-worker"].update(volumes=[]),
            "airflow-worker: dags/ is not mounted",
            id="no-dags-mount",
        ),
        pytest.param(
            warehouse_volume_problems,
            lambda d: d["services"]["airflow-worker"].update(
                volumes=[v for v in d["services"]["airflow-worker"]["volumes"] if "warehouse" not in str(v)]
            ),
            "airflow-worker: nothing is mounted at /opt/airflow/warehouse",
            id="warehouse-inside-the-worker",
        ),
        pytest.param(
            warehouse_volume_problems,
            lambda d: d["services"]["airflow-scheduler"].update(
                volumes=[
                    *(v for v in d["services"]["airflow-scheduler"]["volumes"] if "warehouse" not in str(v)),
                    "./warehouse:/opt/airflow/warehouse",
                ]
            ),
            "airflow-scheduler: /opt/airflow/warehouse is mounted from",
            id="warehouse-on-a-bind-mount",
        ),
        pytest.param(
            airflow_environment_problems,
            lambda d: d["services"]["airflow-dag-processor"].update(
                environment={
                    **d["services"]["airflow-dag-processor"]["environment"],
                    "AIRFLOW__CORE__LOAD_EXAMPLES": "True",
                }
            ),
            "AIRFLOW__CORE__LOAD_EXAMPLES='True'",
            id="examples-loaded",
        ),
        pytest.param(
            connection_problems,
            lambda d: d["services"]["airflow-worker"]["environment"].update(
                {CONN_ENV_VAR: '{"conn_type": "http", "login": "a", "password": "b", "host": "http://emulator:8360"}'}
            ),
            "conn_type is 'http'",
            id="wrong-conn-type",
        ),
        pytest.param(
            connection_problems,
            lambda d: d["services"]["airflow-worker"]["environment"].update(
                {
                    CONN_ENV_VAR: '{"conn_type": "360learning", "login": "a", "password": "b", "host": "http://emulator:8080"}'
                }
            ),
            "is not the emulator's --port 8360",
            id="wrong-emulator-port",
        ),
        pytest.param(
            connection_problems,
            lambda d: d["services"]["airflow-worker"]["environment"].update(
                {
                    CONN_ENV_VAR: '{"conn_type": "360learning", "login": "a", "password": "b", '
                    '"host": "http://localhost:8360"}'
                }
            ),
            "'localhost' is not a compose service",
            id="emulator-via-localhost",
        ),
        pytest.param(
            connection_problems,
            lambda d: d["services"]["airflow-worker"]["environment"].update(
                {
                    CONN_ENV_VAR: '{"conn_type": "360learning", "login": "a", "password": "b", '
                    '"host": "http://emulator:8360", "extra": {"region": "asia"}}'
                }
            ),
            "extra region='asia'",
            id="region-not-in-enum",
        ),
        pytest.param(
            connection_problems,
            lambda d: d["services"]["airflow-worker"]["environment"].update({CONN_ENV_VAR: "360learning://x"}),
            "is not JSON",
            id="conn-not-json",
        ),
    ],
)
def test_coherence_checkers_reject_broken_copies(compose, checker, mutate, expected):
    assert checker(compose) == [], "the real file must pass before its broken copy is checked"
    problems = checker(_broken(compose, mutate))
    assert any(expected in problem for problem in problems), problems


BROKEN_CLI_CALLS = [
    (["webserver"], "'airflow webserver' is not an Airflow CLI command"),  # Airflow 2 only
    (["celery", "wrker"], "'airflow celery wrker' is not an Airflow CLI command"),
    (["db", "init"], "'airflow db init' is not an Airflow CLI command"),  # removed in Airflow 3
    (["db"], "'airflow db' is a command group"),
    (["jobs", "check", "--job-type", "WorkerJob"], "does not accept 'WorkerJob'"),
    (["scheduler", "--no-such-option"], "has no option --no-such-option"),
]


def test_cli_checker_rejects_unknown_airflow_commands():
    prefetch_airflow_help(prefix for arguments, _ in BROKEN_CLI_CALLS for prefix in _command_prefixes(arguments))
    for arguments, expected in BROKEN_CLI_CALLS:
        problems = cli_problems(arguments)
        assert any(expected in problem for problem in problems), (arguments, problems)


def test_cli_checker_finds_calls_in_init_script_and_healthchecks(compose):
    init_calls = service_airflow_invocations(INIT_SERVICE, compose["services"][INIT_SERVICE])
    assert ["db", "migrate"] in init_calls
    triggerer_calls = service_airflow_invocations("airflow-triggerer", compose["services"]["airflow-triggerer"])
    assert ["triggerer"] in triggerer_calls
    assert any(call[:2] == ["jobs", "check"] for call in triggerer_calls)
    emulator_calls = service_airflow_invocations(EMULATOR_SERVICE, compose["services"][EMULATOR_SERVICE])
    assert emulator_calls == []  # "python -m ..." is not an Airflow CLI call
