"""The README's tour, run as written against a fresh demo server (issue 16).

The commands are read from README.md's "A short tour" section, so this test fails when the
README and the program disagree. The rules it reads the section by:

- Each ```sh block runs command by command (a command may span lines inside quotes) in
  bash, from a fresh working folder, with the variables earlier blocks set (`KEY`, `export …`).
- A plain ``` block right after an ```sh block is what the block's last command prints
  (standard output and standard error, as a terminal shows them). In it, a line that is only `…` stands for any
  number of lines, and `…` inside a line for any text; request ids, times, hashes and
  milliseconds are masked on both sides.
- A trailing `# {…}` comment on a command is the JSON it prints; `# exit N` its exit status
  (0 otherwise).
- A ```python block runs with the test environment's Python, its `KEY = "rapport_…"` line
  given the demo's key; each user it identifies must then have a profile.
- After the `rapport repl` command, the plain block is a terminal transcript: lines after
  the `demo=> ` and `    -> ` prompts are typed (`⇥` is Tab), the others are the screen.

What the harness maps, and nothing else: `.build/release/` is the folder of the binary under
test (RAPPORT_BINARY; rapport-bench beside it), `localhost:8080` is the test server's port,
`swift build …` is skipped (the suite has built everything), `KEY=rapport_…` is the key the
server printed, and `scripts/demo` (re)starts the server as scripts/demo's last line does,
with the variables exported before it.
"""
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pexpect
import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
BINARY = pathlib.Path(os.environ.get("RAPPORT_BINARY") or REPO / ".build/debug/rapport").resolve()
PYTHON = os.environ.get("RAPPORT_TEST_PYTHON") or str(REPO / ".venv/bin/python")
ELLIPSIS = "…"


def tour_blocks(readme):
    """The tour's fenced blocks in order: (language, text, followed_by_output_block)."""
    start = readme.index("## A short tour")
    end = readme.index("\n## ", start + 1)
    section = readme[start:end]
    fences = list(re.finditer(r"^```(\w*)\n(.*?)^```[ \t]*$", section, re.S | re.M))
    blocks = []
    for index, fence in enumerate(fences):
        nxt = fences[index + 1] if index + 1 < len(fences) else None
        adjacent = nxt is not None and nxt.group(1) == "" and section[fence.end():nxt.start()].strip() == ""
        blocks.append((fence.group(1), fence.group(2), adjacent))
    return blocks


def commands(block):
    """A shell block's commands: lines joined until their quotes close, with each line's
    trailing `# {…}` expectation."""
    result, pending = [], ""
    for line in block.splitlines():
        pending = pending + "\n" + line if pending else line
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:
            continue
        if words:
            expected = re.search(r"\s#\s+(\{.*\})\s*$", pending)
            result.append((pending, expected.group(1) if expected else None))
        pending = ""
    assert not pending, "unclosed quote in a tour block: " + pending
    return result


MASKS = [
    (re.compile(r"pr_[a-z0-9]{10,}"), "pr_ID"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "TIME"),
    (re.compile(r"hash [0-9a-f]{8,}"), "hash HASH"),
    (re.compile(r"rapport-[0-9a-f-]{36}"), "MESSAGE"),
    (re.compile(r"(_ms\s+)\d+"), r"\1N"),
    (re.compile(r"in [\d.]+ s \(\d+ lines/s\)"), "in N s (N lines/s)"),
    (re.compile(r"\x1b\[[0-9;?]*[A-Za-z]"), ""),
]


def normalize(text):
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def line_matches(expected, actual):
    if ELLIPSIS not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split(ELLIPSIS))
    return re.fullmatch(pattern, actual) is not None


def lines_match(expected, actual):
    """Whether `actual` is `expected`, where a line that is only `…` is any number of lines."""
    memo = {}

    def match(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(expected):
            found = j == len(actual)
        elif expected[i].strip() == ELLIPSIS:
            found = any(match(i + 1, k) for k in range(j, len(actual) + 1))
        else:
            found = j < len(actual) and line_matches(expected[i], actual[j]) and match(i + 1, j + 1)
        memo[(i, j)] = found
        return found

    return match(0, 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """The demo server as scripts/demo starts it, in a folder of its own."""

    def __init__(self, work):
        self.work = work
        self.port = free_port()
        self.process = None
        self.key = None
        last = [line for line in (REPO / "scripts/demo").read_text().splitlines() if line.strip()][-1]
        # scripts/demo ends by running the release binary on its data folder with --demo.
        assert last.startswith("exec .build/release/rapport serve --data-dir \"$data_dir\" --demo"), last

    def start(self, environment):
        self.log = open(self.work / "demo.log", "a")
        self.out = self.work / "demo.out"
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--data-dir", str(self.work / ".rapport"), "--demo", "--port", str(self.port)],
            cwd=self.work, env=environment, stdout=open(self.out, "w"), stderr=self.log)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.port, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("the demo server did not start:\n" + (self.work / "demo.log").read_text()[-3000:])
        for _ in range(100):
            text = self.out.read_text()
            if text.strip():
                self.key = text.split()[0]
                return
            time.sleep(0.1)
        raise AssertionError("the demo printed no key")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Tour:
    def __init__(self, work, demo):
        self.work = work
        self.demo = demo
        self.environment = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_") and k != "DATABASE_URL"}
        self.environment.update(HOME=str(work), TERM="xterm")

    def rewrite(self, text):
        text = text.replace(".build/release/", str(BINARY.parent) + "/")
        return text.replace("localhost:8080", "localhost:%d" % self.demo.port)

    def shell(self, command):
        """Runs one command in bash with the tour's variables; what it printed, both streams."""
        state = self.work / ".tour-state"
        script = "set -a -o pipefail\n"
        if state.exists():
            script += ". '%s'\n" % state
        script += self.rewrite(command) + "\nstatus=$?\nexport -p > '%s'\nexit $status\n" % state
        # Both streams in one, in the order a terminal shows them.
        run = subprocess.run(["bash", "-c", script], cwd=self.work, env=self.environment,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        return run.returncode, run.stdout, ""

    def run_shell_block(self, block, expected_output):
        last = None
        for command, expected_json in commands(block):
            stripped = command.strip()
            if stripped.startswith("swift build"):
                continue
            if re.fullmatch(r"KEY=rapport_…\s*(#.*)?", stripped):
                self.shell("export KEY='%s'" % self.demo.key)
                continue
            if "scripts/demo" in stripped:
                print("$ %s   (the demo restarted)" % stripped)
                self.restart(stripped)
                continue
            if " repl " in stripped and "--url" in stripped:
                assert expected_output is not None, "the REPL command needs its transcript"
                print("$ %s   (the transcript below is typed in a terminal)" % stripped)
                self.repl(stripped, expected_output)
                return
            status, out, err = self.shell(command)
            # Shown by pytest when the test fails (or with -s): the tour so far.
            print("$ %s\n%s" % (stripped, out[-2000:]))
            wanted = re.search(r"#\s*exit (\d+)", command.splitlines()[-1])
            wanted = int(wanted.group(1)) if wanted else 0
            assert status == wanted, "exit %d (the README says %d): %s\n%s%s" % (status, wanted, stripped, out, err)
            if expected_json is not None:
                assert json.loads(out) == json.loads(expected_json), "%s\nprinted %s\nREADME shows %s" % (stripped, out, expected_json)
            if stripped.startswith("curl"):
                assert '"error"' not in out, "%s answered an error: %s" % (stripped, out)
            last = (stripped, out + err)
        if expected_output is not None:
            assert last is not None
            expected, actual = normalize(expected_output), normalize(last[1])
            assert lines_match(expected, actual), "%s\nprinted:\n%s\nREADME shows:\n%s" % (
                last[0], "\n".join(actual), "\n".join(expected))

    def restart(self, command):
        """`export X=Y; scripts/demo`: the demo restarted with X set; the old key stays valid."""
        for name, value in re.findall(r"export (\w+)=(\S+?);", command + ";"):
            self.environment[name] = value
        self.demo.stop()
        old_key = self.demo.key
        self.demo.start(self.environment)
        if "RAPPORT_ADMIN_KEY" in self.environment:
            assert "the operator API is on" in (self.work / "demo.log").read_text()
        self.demo.key = old_key

    def run_python_block(self, block):
        # The block's own `KEY = "rapport_…"` line is the key the demo printed.
        code = re.sub(r'(?m)^KEY = "rapport_…".*$', "KEY = os.environ['KEY']", self.rewrite(block))
        assert "os.environ['KEY']" in code, "the Python block sets KEY from the demo's key"
        code = "import os\n" + code
        run = subprocess.run([PYTHON, "-c", code], cwd=self.work, env=dict(self.environment, KEY=self.demo.key),
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        # Segment's library logs a failed delivery instead of raising: the people the block
        # identifies must have arrived.
        for user in re.findall(r'identify\(\s*"([^"]+)"', block):
            url = "http://127.0.0.1:%d/v1/profiles/lookup?user_id=%s" % (self.demo.port, user)
            request = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.demo.key})
            for _ in range(50):
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError("the Python block's identify of %s never arrived:\n%s" % (user, run.stderr))

    def repl(self, command, transcript):
        words = shlex.split(self.rewrite(command))
        environment = dict(self.environment)
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            environment[name] = self.demo.key if value == "$KEY" else value
        prompt, more = "demo=> ", "    -> "
        screen = []
        repl = pexpect.spawn(words[0], words[1:], cwd=str(self.work), env=environment, encoding="utf-8",
                             dimensions=(60, 120), timeout=60)
        repl.logfile_read = type("Log", (), {"write": lambda _, s: screen.append(s), "flush": lambda _: None})()
        try:
            repl.expect_exact(prompt)
            lines = transcript.splitlines()
            index = 0
            while index < len(lines):
                line = lines[index]
                assert line.startswith(prompt), "a transcript turn starts at the prompt: " + line
                typed = [line[len(prompt):]]
                index += 1
                while index < len(lines) and lines[index].startswith(more):
                    typed.append(lines[index][len(more):])
                    index += 1
                expected = []
                while index < len(lines) and not lines[index].startswith(prompt):
                    expected.append(lines[index])
                    index += 1
                for part in typed:
                    for piece in re.split("(" + "⇥" + ")", part):
                        if piece == "⇥":
                            repl.send("\t")
                            time.sleep(0.5)
                        elif piece:
                            repl.send(piece)
                    repl.send("\r")
                    time.sleep(0.2)
                repl.expect_exact(prompt)
                shown = normalize(repl.before)
                # The screen holds the echo of what was typed; the answer must hold the
                # transcript's lines in order.
                wanted = [l for l in normalize("\n".join(expected)) if l.strip() != ELLIPSIS]
                position = 0
                for want in wanted:
                    while position < len(shown) and not line_matches(want, shown[position]):
                        position += 1
                    assert position < len(shown), "after %r the REPL did not show %r:\n%s" % (typed, want, "\n".join(shown))
                    position += 1
            repl.sendeof()
            repl.expect(pexpect.EOF)
        finally:
            repl.close(force=True)


@pytest.fixture
def work():
    folder = pathlib.Path(tempfile.mkdtemp(prefix="rapport-tour-"))
    # As root the embedded cluster runs as `postgres`, which must reach the folder.
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_readme_tour_works_as_written(work):
    assert BINARY.exists(), "build first: %s" % BINARY
    assert (BINARY.parent / "rapport-bench").exists()
    demo = Demo(work)
    tour = Tour(work, demo)
    demo.start(tour.environment)
    try:
        blocks = tour_blocks((REPO / "README.md").read_text())
        assert len(blocks) > 10
        skip_output = False
        for index, (language, text, followed) in enumerate(blocks):
            if skip_output:
                skip_output = False
                continue
            expected = blocks[index + 1][1] if followed else None
            if language == "sh":
                tour.run_shell_block(text, expected)
                skip_output = followed
            elif language == "python":
                tour.run_python_block(text)
            elif language in ("", "rql"):
                # An output block not right after a command (the diagnostic shown as an example).
                continue
            else:
                raise AssertionError("a tour block in an unknown language: " + language)
    finally:
        demo.stop()


def test_the_matcher():
    """The rules above, on their own: a test that passes anything proves nothing."""
    assert lines_match(["a", "…", "d"], ["a", "b", "c", "d"])
    assert lines_match(["a", "…"], ["a"])
    assert not lines_match(["a", "d"], ["a", "b", "d"])
    assert lines_match(["x … z"], ["x yyy z"])
    assert not lines_match(["x … z"], ["x yyy q"])
    assert normalize("pr_eyz8s269audjyzzhncad at 2026-11-23T20:37:47Z (hash 78a552a7e2d6d691…)") == \
        ["pr_ID at TIME (hash HASH…)"]
    assert [c for c, _ in commands("a 'b\nc'\n# only a comment\nd  # {\"x\": 1}")] == ["a 'b\nc'", "d  # {\"x\": 1}"]
    assert commands('curl x   # {"status":"ready"}')[0][1] == '{"status":"ready"}'
