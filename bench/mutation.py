"""Mutation testing of the domain's core and the two security checks: does some test fail
when a line of them is broken?

    .venv/bin/python bench/mutation.py [--only core/tickets.py ...] [--jobs 1] [--both-databases]
                                       [--out var/mutation.json]

An own small AST mutator (mutmut's operators, on this project's own terms): comparisons
swapped (== !=, < <=, > >=, in / not in, is / is not), arithmetic swapped (+ -, * /),
and / or swapped, `not` removed, numbers ±1, True / False swapped, strings emptied,
returned values replaced by None, statements removed, and wrappers dropped (sorted(x),
x.strip(), query.with_for_update(…), .order_by(…), .desc(), .limit(…)).

Nothing is mutated in the working tree: the committed tree (HEAD; the files as they
are with --working-tree) is copied to a temporary directory, each mutant is written
there, one at a time, and run with this project's .venv. Each test of the mapped test files is
first run once under a line tracer; a mutant then runs only the tests that execute
its lines (all mapped tests for a module-level line), with `-x` and a timeout. On
SQLite only, unless --both-databases; the PostgreSQL-only tests (the outbox claimers)
always run. Prints killed/total per file and writes the survivors to a JSON file.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Target:
    """A file to mutate, the functions in it (all when empty), and the test files that cover it."""

    path: str
    tests: Tuple[str, ...]
    functions: Tuple[str, ...] = ()


TARGETS = (  # the small ones first
    Target("core/deadlines.py", ("tests/unit/test_deadlines.py", "tests/unit/test_tickets.py")),
    Target("bot/channels/wechat.py", ("tests/components/test_wechat_signature.py",), ("signature_of",)),
    Target("core/staff.py", ("tests/unit/test_staff_accounts.py", "tests/web/test_console.py",
                             "tests/web/test_console_security.py"), ("csrf_matches",)),
    Target("bot/console/auth.py", ("tests/web/test_console_refusals.py", "tests/web/test_console.py",
                                   "tests/web/test_console_security.py"),
           ("session_middleware", "_close_uploads")),
    Target("core/enrolments.py", ("tests/unit/test_enrolments.py",)),
    Target("core/outbox.py", ("tests/unit/test_outbox.py", "tests/integration/test_delivery.py")),
    Target("core/privacy.py", ("tests/unit/test_privacy.py",)),
    Target("core/places.py", ("tests/unit/test_places.py", "tests/unit/test_nearby.py")),
    Target("core/tickets.py", ("tests/unit/test_tickets.py", "tests/unit/test_ticket_rules.py",
                               "tests/unit/test_ticket_follow_through.py", "tests/unit/test_ticket_queue.py",
                               "tests/web/test_console.py", "tests/integration/test_delivery.py")),
)  # fmt: skip

PYTEST_FLAGS = ("-q", "-p", "no:cacheprovider", "-W", "ignore:No path_separator:DeprecationWarning")
# Tests that start the whole assistant as processes: their lines run in other processes.
STACK_FIXTURES = ("stack", "fakes", "scaled", "on_postgres")

# --- mutants ---------------------------------------------------------------------------

COMPARE_SWAP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BINOP_SWAP = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
    ast.LShift: ast.RShift, ast.RShift: ast.LShift,
}  # fmt: skip
WRAPPER_FUNCTIONS = {"sorted", "reversed", "min", "max", "abs", "round", "list", "tuple", "set", "any", "all"}
WRAPPER_METHODS = {"strip", "lstrip", "rstrip", "lower", "upper", "desc", "with_for_update", "order_by", "limit",
                   "distinct"}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    end_line: int
    operator: str
    original: str
    mutated: str
    start: int  # byte offsets in the file
    end: int
    in_function: bool


def _docstrings(tree: ast.AST) -> Set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.update((id(first), id(first.value)))
    return found


def _skipped(tree: ast.AST) -> Set[int]:
    """Nodes never mutated: docstrings, annotations, imports, f-string internals, decorators."""
    skipped = _docstrings(tree)

    def skip_all(node: Optional[ast.AST]) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.JoinedStr)):
            skip_all(node)
        elif isinstance(node, ast.AnnAssign):
            skip_all(node.annotation)
            if node.value is None:
                skip_all(node)
        elif isinstance(node, ast.arg):
            skip_all(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip_all(node.returns)
            for decorator in node.decorator_list:
                skip_all(decorator)
        elif isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                skip_all(decorator)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id[0].isupper() and not t.id.isupper() for t in node.targets
        ):
            skip_all(node)  # a type alias (`Deadlines = Dict[...]`)
    return skipped


class _Offsets:
    def __init__(self, source: bytes) -> None:
        self.starts = [0]
        for line in source.split(b"\n")[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def of(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col


def _replace_expression(node: ast.expr, replacement: ast.AST) -> str:
    return f"({ast.unparse(replacement)})"


def _mutations(node: ast.AST, skipped: Set[int]) -> Iterator[Tuple[str, str]]:
    """(operator, replacement text) for one node."""
    if id(node) in skipped:
        return
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAP.get(type(op))
            if swap:
                ops = list(node.ops)
                ops[index] = swap()
                yield (
                    f"compare {type(op).__name__}→{swap.__name__}",
                    _replace_expression(node, ast.Compare(node.left, ops, node.comparators)),
                )
    elif isinstance(node, ast.BinOp):
        swap = BINOP_SWAP.get(type(node.op))
        if swap:
            yield (
                f"binop {type(node.op).__name__}→{swap.__name__}",
                _replace_expression(node, ast.BinOp(node.left, swap(), node.right)),
            )
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield (
            f"boolop {type(node.op).__name__}→{type(other).__name__}",
            _replace_expression(node, ast.BoolOp(other, node.values)),
        )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not removed", _replace_expression(node, node.operand)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"constant {value}→{not value}", repr(not value)
        elif isinstance(value, (int, float)):
            yield f"number {value}→{value + 1}", repr(value + 1)
        elif isinstance(value, str):
            yield ("string emptied", '""') if value else ("string filled", '"XX"')
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in WRAPPER_FUNCTIONS and node.args and not node.keywords:
            yield f"{func.id}(…) dropped", _replace_expression(node, node.args[0])
        elif isinstance(func, ast.Attribute) and func.attr in WRAPPER_METHODS:
            yield f".{func.attr}(…) dropped", _replace_expression(node, func.value)


def _statement_mutations(node: ast.stmt, skipped: Set[int], in_function: bool) -> Iterator[Tuple[str, str]]:
    if id(node) in skipped or not in_function:
        return
    if isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return None", "return None"
    elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise)):
        if isinstance(node, ast.AugAssign):
            swap = BINOP_SWAP.get(type(node.op))
            if swap:
                yield (f"augassign {type(node.op).__name__}→{swap.__name__}",
                       ast.unparse(ast.AugAssign(node.target, swap(), node.value)))  # fmt: skip
        yield f"{type(node).__name__.lower()} removed", "pass"


def _functions(tree: ast.Module, names: Sequence[str]) -> List[ast.AST]:
    if not names:
        return [tree]
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in names]


def mutants_of(root: Path, target: Target) -> List[Mutant]:
    source = (root / target.path).read_bytes()
    tree = ast.parse(source)
    skipped = _skipped(tree)
    offsets = _Offsets(source)
    inside: Set[int] = set()
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(function) if n is not function)
    for function in ast.walk(tree):  # default values are evaluated when the module is imported
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for default in (*function.args.defaults, *function.args.kw_defaults):
                if default is not None:
                    inside.difference_update(id(n) for n in ast.walk(default))
    found: List[Mutant] = []
    seen: Set[Tuple[int, int, str]] = set()
    original_dump = ast.dump(tree)
    for scope in _functions(tree, target.functions):
        for node in ast.walk(scope):
            if node is scope and isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if not hasattr(node, "lineno") or node.end_lineno is None:
                continue
            in_function = id(node) in inside
            if isinstance(node, ast.stmt):
                changes = list(_statement_mutations(node, skipped, in_function))
            else:
                changes = list(_mutations(node, skipped))
            start = offsets.of(node.lineno, node.col_offset)
            end = offsets.of(node.end_lineno, node.end_col_offset)
            for operator, text in changes:
                mutated = source[:start] + text.encode() + source[end:]
                key = (start, end, text)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    if ast.dump(ast.parse(mutated)) == original_dump:
                        continue  # the same program
                except SyntaxError:
                    continue
                found.append(Mutant(
                    target.path, node.lineno, node.end_lineno, operator,
                    source[start:end].decode(), text, start, end, in_function,
                ))  # fmt: skip
    return sorted(found, key=lambda m: (m.line, m.start, m.operator))


# --- which tests run which lines -------------------------------------------------------

TRACER = textwrap.dedent(
    '''
    """Loaded by bench/mutation.py: records which test runs which line of the target files."""
    import json, os, sys, threading

    import pytest

    _TARGETS = set(json.loads(os.environ["MUTATION_TARGETS"]))
    _LINES = {}
    _current = ["<collect>"]


    def _local(frame, event, arg):
        if event == "line":
            _LINES.setdefault(f"{frame.f_code.co_filename}:{frame.f_lineno}", set()).add(_current[0])
        return _local


    def _global(frame, event, arg):
        if _TARGETS and frame.f_code.co_filename in _TARGETS:  # None while the interpreter shuts down
            _LINES.setdefault(f"{frame.f_code.co_filename}:{frame.f_lineno}", set()).add(_current[0])
            return _local
        return None


    sys.settrace(_global)
    threading.settrace(_global)


    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        _current[0] = item.nodeid
        sys.settrace(_global)
        yield
        _current[0] = "<between>"


    def pytest_collection_modifyitems(session, config, items):
        stack = set(json.loads(os.environ["MUTATION_STACK_FIXTURES"]))
        sqlite_only = os.environ["MUTATION_SQLITE_ONLY"] == "1"
        kept, dropped = [], []
        for item in items:
            skip = stack & set(getattr(item, "fixturenames", ())) or (sqlite_only and item.nodeid.endswith("[pg]"))
            (dropped if skip else kept).append(item)
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)
        with open(os.environ["MUTATION_ORDER"], "w") as out:
            json.dump([i.nodeid for i in kept], out)


    def pytest_sessionfinish(session, exitstatus):
        with open(os.environ["MUTATION_LINES"], "w") as out:
            json.dump({k: sorted(v) for k, v in _LINES.items()}, out)
    '''
)


@dataclass
class Coverage:
    order: List[str]
    lines: Dict[int, Set[str]] = field(default_factory=dict)


def trace(root: Path, target: Target, env: Dict[str, str], both_databases: bool) -> Coverage:
    work = Path(tempfile.mkdtemp(prefix="trace-", dir=root.parent))
    absolute = str((root / target.path).resolve())
    run_env = {
        **env, "MUTATION_TARGETS": json.dumps([absolute]), "MUTATION_LINES": str(work / "lines.json"),
        "MUTATION_ORDER": str(work / "order.json"), "MUTATION_STACK_FIXTURES": json.dumps(STACK_FIXTURES),
        "MUTATION_SQLITE_ONLY": "0" if both_databases else "1", "PYTHONPATH": f"{root}:{work}",
    }  # fmt: skip
    (work / "_mutation_trace.py").write_text(TRACER)
    result = subprocess.run(
        [str(PYTHON), "-m", "pytest", *PYTEST_FLAGS, "-p", "_mutation_trace", *target.tests],
        cwd=root, env=run_env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"the tests of {target.path} fail unmutated:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    order = json.loads((work / "order.json").read_text())
    coverage = Coverage(order)
    for key, nodeids in json.loads((work / "lines.json").read_text()).items():
        filename, _, line = key.rpartition(":")
        if filename == absolute:
            coverage.lines.setdefault(int(line), set()).update(n for n in nodeids if n in order)
    shutil.rmtree(work, ignore_errors=True)
    return coverage


def tests_for(mutant: Mutant, coverage: Coverage) -> List[str]:
    if not mutant.in_function:
        return list(coverage.order)  # module level: runs at import, in every test
    chosen: Set[str] = set()
    for line in range(mutant.line, mutant.end_line + 1):
        chosen.update(coverage.lines.get(line, ()))
    return [n for n in coverage.order if n in chosen]


# --- running ---------------------------------------------------------------------------

# Runs pytest for each mutant in a fork of a process that has already imported the
# libraries (SQLAlchemy, Alembic, aiohttp, pytest and its plugins): a run then starts in
# a fraction of a second. The project's own modules are imported afresh by each fork,
# from the files as they are on disk, mutant included; none is imported here.
FORK_SERVER = textwrap.dedent(
    """
    import json, os, signal, sys, time
    import alembic.command, aiohttp.web, jinja2, multidict, pytest, requests, sqlalchemy.orm  # noqa: F401
    # Not pytest's plugins (hypothesis, pytest_asyncio…): imported here, pytest could not rewrite them.
    for optional in ("aiohttp_jinja2", "psycopg2", "wechatpy", "aiogram", "xmltodict", "defusedxml"):
        try:
            __import__(optional)
        except ImportError:
            pass
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            try:
                code = int(pytest.main(job["args"]))
            except BaseException:
                import traceback
                with open(sys.argv[1], "w") as error:
                    error.write(traceback.format_exc())
                code = 99
            os._exit(code)
        deadline, status = time.monotonic() + job["timeout"], None
        while time.monotonic() < deadline:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
                break
            time.sleep(0.01)
        if status is None:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = "timeout"
        print(json.dumps({"status": status}), flush=True)
    """
)


class ForkServer:
    """One per copy of the repository: pytest runs in forks of a process with the libraries loaded."""

    def __init__(self, root: Path, env: Dict[str, str]) -> None:
        self.root = root
        script = root.parent / f"{root.name}-fork_server.py"
        script.write_text(FORK_SERVER)
        self.process = subprocess.Popen(
            [str(PYTHON), str(script), str(root.parent / f"{root.name}-fork_error.txt")], cwd=root,
            env={**env, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, nodeids: List[str], timeout: float) -> str:
        """killed, survived or timeout."""
        assert self.process.stdin is not None and self.process.stdout is not None
        job = {"args": [*PYTEST_FLAGS, "-x", *nodeids], "timeout": timeout}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        status = json.loads(self.process.stdout.readline())["status"]
        return "timeout" if status == "timeout" else ("survived" if status == 0 else "killed")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, timeout, uncovered
    seconds: float
    tests: int


def _copy(destination: Path, working_tree: bool) -> Path:
    """The committed tree (HEAD), or with --working-tree the files as they are now, without .git and .venv."""
    destination.mkdir(parents=True)
    if working_tree:
        subprocess.run(
            ["rsync", "-a", "--exclude", "/.git", "--exclude", "/.venv", "--exclude", "/models", "--exclude", "/var",
             "--exclude", "__pycache__", "--exclude", ".pytest_cache", "--exclude", "/.rasa", "--exclude",
             ".ruff_cache", "--exclude", ".mypy_cache", f"{ROOT}/", f"{destination}/"],
            check=True,
        )  # fmt: skip
    else:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def run_mutant(server: ForkServer, mutant: Mutant, nodeids: List[str], timeout: float) -> Outcome:
    if not nodeids:
        return Outcome(mutant, "uncovered", 0.0, 0)
    path = server.root / mutant.path
    original = path.read_bytes()
    started = time.monotonic()
    try:
        path.write_bytes(original[: mutant.start] + mutant.mutated.encode() + original[mutant.end :])
        status = server.run(nodeids, timeout)
    finally:
        path.write_bytes(original)
    return Outcome(mutant, status, time.monotonic() - started, len(nodeids))


def run_all(jobs: List[Tuple[Mutant, List[str]]], servers: List[ForkServer], timeout: float) -> List[Outcome]:
    """Every mutant, as many at a time as there are servers (copies), in order."""
    free: queue.Queue[ForkServer] = queue.Queue()
    for server in servers:
        free.put(server)
    done: List[Outcome] = []

    def run(job: Tuple[Mutant, List[str]]) -> Outcome:
        server = free.get()
        try:
            outcome = run_mutant(server, job[0], job[1], timeout)
        finally:
            free.put(server)
        done.append(outcome)
        if len(done) % 25 == 0:
            survived = sum(o.status == "survived" for o in done)
            print(f"  {len(done)}/{len(jobs)} run, {survived} survived", flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        return list(pool.map(run, jobs))


def baseline_seconds(servers: List[ForkServer], nodeids: List[str]) -> float:
    """Seconds the unmutated tests take in a fork; each server must see them pass, or no kill would mean anything."""
    started = time.monotonic()
    if servers[0].run(nodeids, 3600) != "survived":
        sys.exit("the unmutated tests fail in the fork server")
    seconds = time.monotonic() - started
    for server in servers[1:]:
        if server.run(nodeids[:3], 600) != "survived":
            sys.exit("the unmutated tests fail in a fork server")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=None, help="target paths (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once, each in a copy of its own")
    parser.add_argument("--both-databases", action="store_true", help="run the [pg] variants too")
    parser.add_argument("--out", default=str(ROOT / "var" / "mutation.json"), help="survivors and figures (JSON)")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument("--working-tree", action="store_true", help="mutate the files as they are, not HEAD's")
    parser.add_argument(
        "--survivors", help="a JSON of an earlier run: run again only its survivors (tests added since), same files"
    )
    args = parser.parse_args()
    targets = [t for t in TARGETS if args.only is None or t.path in args.only]
    earlier = json.loads(Path(args.survivors).read_text()) if args.survivors else None
    scratch = Path(tempfile.mkdtemp(prefix="nuanxin-mutation-"))
    copies = [_copy(scratch / f"copy{n}", args.working_tree) for n in range(max(1, args.jobs))]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}  # fmt: skip
    servers = [ForkServer(copy, env) for copy in copies]
    report: Dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "files": {}, "survivors": [], "seconds": 0}
    started = time.monotonic()
    try:
        for target in targets:
            mutants = mutants_of(copies[0], target)
            if earlier is not None:  # only the earlier survivors; the mutants it killed stay killed
                again = {(m["start"], m["end"], m["mutated"]) for m in earlier["survivors"] if m["path"] == target.path}
                before = earlier["files"].get(target.path)
                if before is None:
                    continue
                mutants = [m for m in mutants if (m.start, m.end, m.mutated) in again]
                if len(mutants) != len(again):
                    sys.exit(f"{target.path} changed since the earlier run: its survivors cannot be found again")
            if args.list:
                for m in mutants:
                    print(f"{m.path}:{m.line} {m.operator}: {m.original[:60]!r} → {m.mutated[:60]!r}")
                continue
            clock = time.monotonic()
            coverage = trace(copies[0], target, env, args.both_databases)
            traced = time.monotonic() - clock
            baseline = baseline_seconds(servers, coverage.order)
            timeout = 3 * baseline + 20
            print(f"{target.path}: {len(mutants)} mutants, {len(coverage.order)} tests "
                  f"(traced in {traced:.0f} s, run in {baseline:.0f} s)", flush=True)  # fmt: skip
            outcomes = run_all([(m, tests_for(m, coverage)) for m in mutants], servers, timeout)
            killed = sum(o.status in ("killed", "timeout") for o in outcomes)
            total = len(outcomes)
            if earlier is not None:
                killed, total = killed + before["killed"], before["total"]
            score = 100.0 * killed / total if total else 100.0
            report["files"][target.path] = {  # type: ignore[index]
                "killed": killed, "total": total, "score": round(score, 1),
                "timeouts": sum(o.status == "timeout" for o in outcomes),
                "uncovered": sum(o.status == "uncovered" for o in outcomes),
            }  # fmt: skip
            for outcome in outcomes:
                if outcome.status in ("survived", "uncovered"):
                    report["survivors"].append({**asdict(outcome.mutant), "status": outcome.status})  # type: ignore[attr-defined]
            print(f"{target.path:28} {killed:4}/{total:<4} {score:5.1f} %  "
                  f"({sum(o.status == 'uncovered' for o in outcomes)} uncovered, "
                  f"{sum(o.status == 'timeout' for o in outcomes)} timeouts)", flush=True)  # fmt: skip
            _write(report, Path(args.out), started)
    finally:
        for server in servers:
            server.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.list:
        print(f"survivors: {len(report['survivors'])} in {args.out}; {report['seconds']} s")  # type: ignore[arg-type]


def _write(report: Dict[str, object], out: Path, started: float) -> None:
    """The figures and survivors so far (written after each file, so a long run can be read as it goes)."""
    report["seconds"] = round(time.monotonic() - started)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
