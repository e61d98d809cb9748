import subprocess
import sys

import fullcycle as fc
from fullcycle import errors


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = [n for n in fc.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in fc.__all__:
        assert getattr(fc, name) is not None


def test_every_error_is_exported_and_subclasses_a_builtin() -> None:
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, errors.FullcycleError):
            assert name in fc.__all__, f"{name} is not exported"
            if obj is not errors.FullcycleError:
                builtin_bases = [b for b in obj.__mro__ if b.__module__ == "builtins"]
                assert builtin_bases[0] is not Exception or obj is errors.FullcycleError, name


def test_every_error_is_drawn_in_the_module_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, errors.FullcycleError):
            assert name in doc, f"{name} is missing from the tree in errors.py"


def test_importing_fullcycle_and_its_cli_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, fullcycle, fullcycle.cli; fullcycle.cli.build_app(); "
        "heavy = [m for m in ('pandas', 'sklearn', 'fastapi', 'pyarrow', 'scipy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
