"""The two distributions of the repository, as ``python -m build`` makes them.

- ``airflow-provider-360learning`` (the production wheel): the provider only. No emulator, no contract validator,
  no pytest plugin (no ``pytest11`` entry point), and no provider module imports them; its ``[emulator]`` extra
  names the emulator distribution at the same version.
- ``airflow-provider-360learning-emulator`` (``emulator/``): the emulator, the contract validator and the pytest
  plugin, as a portion of the ``airflow_provider_360learning`` package (no ``__init__.py`` of its own), with the
  ``360learning-emulator`` console script.

The wheel alone, unpacked beside the installed dependencies, imports and has neither subpackage; ``airflow
providers list`` lists the provider with nothing on stderr.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import airflow_provider_360learning

REPO = Path(__file__).resolve().parents[2]
EMULATOR_PROJECT = REPO / "emulator"
PACKAGE = "airflow_provider_360learning"
TOOLING = (f"{PACKAGE}/emulator/", f"{PACKAGE}/testing/")
IMPORTS_TOOLING = re.compile(rf"^\s*(from|import)\s+{PACKAGE}\.(emulator|testing)\b", re.MULTILINE)


def _pyproject(path: Path) -> dict:
    with (path / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


SCRATCH = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".mypy_cache")


def _copy(project: Path, package_dirs: tuple[str, ...], destination: Path) -> Path:
    """The project's top-level files and its package folders, copied: the build writes its scratch files (build/,
    egg-info) there, not in the working tree, and workers of pytest-xdist never build in the same folder."""
    destination.mkdir()
    for path in project.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy2(path, destination / path.name)
    for name in package_dirs:
        shutil.copytree(project / name, destination / name, ignore=SCRATCH)
    return destination


def _build(project: Path, outdir: Path) -> Path:
    # --no-isolation: the test extra installs the build-system's requirements, so no index is needed.
    # The default sdist-then-wheel path: the wheel is built from what the sdist ships.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(project)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = list(outdir.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    dist = tmp_path_factory.mktemp("dist")
    sources = tmp_path_factory.mktemp("sources")
    return {
        "provider": _build(_copy(REPO, (PACKAGE,), sources / "provider"), dist / "provider"),
        "emulator": _build(_copy(EMULATOR_PROJECT, ("src",), sources / "emulator"), dist / "emulator"),
    }


def _entry_points(wheel: zipfile.ZipFile) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    names = [name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt")]
    if names:
        parser.read_string(wheel.read(names[0]).decode())
    return parser


def _metadata(wheel: zipfile.ZipFile) -> list[str]:
    (name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    return wheel.read(name).decode().splitlines()


def test_versions_agree():
    """The two distributions are released together: one version, pinned both ways."""
    version = airflow_provider_360learning.__version__
    provider, emulator = _pyproject(REPO)["project"], _pyproject(EMULATOR_PROJECT)["project"]
    assert emulator["name"] == "airflow-provider-360learning-emulator"
    assert emulator["version"] == version
    assert provider["optional-dependencies"]["emulator"] == [f"airflow-provider-360learning-emulator=={version}"]
    assert f"airflow-provider-360learning=={version}" in emulator["dependencies"]
    assert "pytest11" not in provider.get("entry-points", {})
    assert emulator["entry-points"]["pytest11"] == {"learning360": f"{PACKAGE}.testing.pytest_plugin"}
    assert emulator["scripts"] == {"360learning-emulator": f"{PACKAGE}.emulator.__main__:main"}


def test_provider_sources_hold_no_test_tooling():
    assert not (REPO / PACKAGE / "emulator").exists()
    assert not (REPO / PACKAGE / "testing").exists()
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / PACKAGE).rglob("*.py")
        if IMPORTS_TOOLING.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "provider modules importing the emulator distribution"


def test_provider_wheel_holds_no_test_tooling(wheels, tmp_path):
    with zipfile.ZipFile(wheels["provider"]) as wheel:
        names = wheel.namelist()
        entry_points = _entry_points(wheel)
        metadata = _metadata(wheel)
        sources = {name: wheel.read(name).decode() for name in names if name.endswith(".py")}
        wheel.extractall(tmp_path / "site")

    assert [name for name in names if name.startswith(TOOLING)] == []
    assert all(name.startswith((f"{PACKAGE}/", f"{PACKAGE}-")) for name in names), names
    assert f"{PACKAGE}/__init__.py" in names
    assert f"{PACKAGE}/py.typed" in names
    assert any(name.startswith(f"{PACKAGE}/spec/") and name.endswith(".json") for name in names)
    assert [name for name, text in sources.items() if IMPORTS_TOOLING.search(text)] == []

    assert entry_points.sections() == ["apache_airflow_provider"]
    assert "pytest11" not in entry_points
    version = airflow_provider_360learning.__version__
    assert f'Requires-Dist: airflow-provider-360learning-emulator=={version}; extra == "emulator"' in metadata

    # The wheel alone (its files, with the installed dependencies but without the editable installs of the
    # repository): the provider imports, the emulator and the contract validator do not.
    site = tmp_path / "site"
    # Editable installs of the repository: paths in .pth files, or setuptools' import hooks (named __editable__...).
    editable = {str(REPO), str(EMULATOR_PROJECT / "src")}
    probe = f"""
import importlib.util, sys
sys.path[:] = [{str(site)!r}] + [p for p in sys.path if p and p not in {editable!r} and "__editable__" not in p]
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
import {PACKAGE}
assert {PACKAGE}.__file__.startswith({str(site)!r}), {PACKAGE}.__file__
from {PACKAGE}.get_provider_info import get_provider_info
assert get_provider_info()["package-name"] == "airflow-provider-360learning"
for name in ("emulator", "testing"):
    assert importlib.util.find_spec("{PACKAGE}." + name) is None, name
try:
    import {PACKAGE}.testing.contract
except ModuleNotFoundError:
    print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def test_emulator_wheel_is_a_portion_of_the_package(wheels):
    with zipfile.ZipFile(wheels["emulator"]) as wheel:
        names = wheel.namelist()
        entry_points = _entry_points(wheel)
    modules = [name for name in names if not name.startswith("airflow_provider_360learning_emulator-")]
    assert modules and all(name.startswith(TOOLING) for name in modules), modules
    assert f"{PACKAGE}/__init__.py" not in names  # the provider's: a regular package, extended by this portion
    assert f"{PACKAGE}/emulator/__main__.py" in names
    assert f"{PACKAGE}/testing/contract.py" in names
    assert f"{PACKAGE}/testing/pytest_plugin.py" in names
    assert dict(entry_points["pytest11"]) == {"learning360": f"{PACKAGE}.testing.pytest_plugin"}
    assert dict(entry_points["console_scripts"]) == {"360learning-emulator": f"{PACKAGE}.emulator.__main__:main"}


def test_airflow_providers_list_shows_the_provider_without_warnings():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), "providers", "list", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.strip() == "", result.stderr[-3000:]
    providers = {row["package_name"]: row for row in json.loads(result.stdout)}
    assert providers["airflow-provider-360learning"]["version"] == airflow_provider_360learning.__version__


def test_console_script_is_the_module_cli():
    script = Path(sys.executable).with_name("360learning-emulator")
    if not script.exists():
        pytest.skip("the emulator distribution is not installed: pip install -e ./emulator")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120, check=False)
    module = subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == module.returncode == 0, result.stderr + module.stderr
    assert result.stdout.startswith("usage: 360learning-emulator ")
    module_prog = f"python -m {PACKAGE}.emulator"
    assert result.stdout.split("\n\n", 1)[1] == module.stdout.split("\n\n", 1)[1]  # past the usage lines
    assert module.stdout.startswith(f"usage: {module_prog} ")
