"""Run a benchmark peer inside its own virtual environment, creating it on first use."""
import importlib
import os
import subprocess
import sys
from pathlib import Path


def ensure(venv_name, packages, modules, script):
    """Return if `modules` import; else (re)start `script` in ~/.cache/<venv_name> after
    installing `packages` there."""
    try:
        for m in modules:
            importlib.import_module(m)
        return
    except ImportError:
        pass
    venv = Path.home() / ".cache" / venv_name
    name = Path(script).stem
    if Path(sys.prefix).resolve() == venv.resolve():
        sys.exit(f"{name}: {', '.join(modules)} still missing inside {venv}")
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"{name}: creating {venv}, installing {' '.join(packages)}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    subprocess.check_call([str(py), "-m", "pip", "install", "-q", *packages], stdout=sys.stderr)
    os.execv(str(py), [str(py), script, *sys.argv[1:]])
