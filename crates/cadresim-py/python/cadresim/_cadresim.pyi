"""Type stubs of the extension module (the Rust study layer); the public API is `cadresim`.

The study functions raise `CadresimError` with the command line's one-line message when a
study refuses its input or fails, and `KeyboardInterrupt` on Ctrl-C (`sensitivity` and
`discover` when they end). `main` returns the command line's exit code instead (its errors go to stderr).
"""

from typing import Callable, List, Optional, Tuple

__version__: str

class CadresimError(Exception):
    """A study refused its input or failed; the message is the command line's one line."""

Progress = Callable[[str, int, int], None]

def scenario_text(json: str) -> str:
    """A scenario given as JSON (shaped like a scenario file) as TOML text."""

def run(
    scenarios: List[str],
    out: str,
    *,
    settings: Optional[str] = None,
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    until_settled: bool = False,
    threads: Optional[int] = None,
    force: bool = False,
    progress: Optional[Progress] = None,
) -> Tuple[str, List[str]]:
    """Run scenario files into `out`; returns (directory, warnings)."""

def evaluate(
    scenario: str,
    points: str,
    metrics: List[str],
    *,
    level: str = "all",
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    series: bool = False,
    threads: Optional[int] = None,
) -> Tuple[List[List[float]], List[List[List[float]]]]:
    """Equilibrium means (and mean series) of many points of one scenario, without files."""

def sweep(
    file: str,
    out: str,
    *,
    seed: Optional[int] = None,
    replicates: Optional[int] = None,
    steps: Optional[int] = None,
    until_settled: bool = False,
    threads: Optional[int] = None,
    shard: Optional[Tuple[int, int]] = None,
    resume: bool = False,
    force: bool = False,
    progress: Optional[Progress] = None,
) -> Tuple[str, List[str], int, int]:
    """Run a sweep file into `out`; returns (directory, warnings, points, points run now)."""

def sensitivity(
    dir: str,
    *,
    metrics: Optional[List[str]] = None,
    level: str = "all",
    bootstrap: Optional[int] = None,
) -> List[str]:
    """Analyse a finished sobol or morris sweep again; returns the warnings."""

def discover(
    dir: str,
    condition: str,
    *,
    level: str = "all",
    alpha: float = 0.05,
    min_mass: float = 0.05,
    chosen: Optional[int] = None,
    resamples: int = 100,
    out: Optional[str] = None,
    force: bool = False,
) -> Tuple[str, str]:
    """PRIM on a finished sweep; returns (directory, the condition in words)."""

def params() -> List[Tuple[str, str, str, Optional[float], Optional[float], str]]:
    """Every parameter: (key, default, allowed values, plausible low, plausible high, meaning)."""

def built_in(name: str) -> Optional[str]:
    """The TOML text of a scenario of the built-in default set, by name."""

def built_in_names() -> List[str]:
    """The names of the built-in default set."""

def main(args: List[str]) -> int:
    """Run the command line with `args` (without the program name); returns its exit code."""
