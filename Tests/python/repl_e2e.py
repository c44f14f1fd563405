"""Drives the real `rapport repl` binary in a pseudo-terminal, as a person would.

Usage: repl_e2e.py RAPPORT_BINARY SERVER_URL KEY TENANT HISTORY_FILE PSQL SUPERUSER_URL SCHEMA

The slow query is slow because the script first locks the tenant's profiles through psql
(PSQL, as the superuser of SUPERUSER_URL's database), so that Ctrl-C lands while it waits.

Types a multi-line query (with a tab completion in it), reads the table off the screen,
recalls a statement from history with the up arrow, presses Ctrl-C at the prompt (which
drops the half-typed statement) and during a slow query,
checks that the REPL is still usable afterwards, and leaves with Ctrl-D. Exits non-zero
with the screen's text when anything is not as expected.
"""
import os
import re
import sys
import time

import pexpect

binary, url, key, tenant, history, psql, superuser_url, schema = sys.argv[1:9]
prompt = tenant + "=> "
env = dict(os.environ, RAPPORT_KEY=key, RAPPORT_HISTORY=history, TERM="xterm", HOME=os.path.dirname(history))
repl = pexpect.spawn(binary, ["repl", "--url", url], env=env, dimensions=(50, 220), encoding="utf-8", timeout=30)
log = []
repl.logfile_read = type("Log", (), {"write": lambda self, s: log.append(s), "flush": lambda self: None})()


def fail(what):
    sys.stderr.write("FAILED: " + what + "\n--- screen ---\n" + "".join(log)[-6000:] + "\n")
    repl.close(force=True)
    sys.exit(1)


def expect(pattern, what, timeout=30):
    try:
        repl.expect(pattern, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF):
        fail(what)


def ends_with(status, what):
    """The REPL ends, with exit status `status`."""
    try:
        repl.expect(pexpect.EOF, timeout=10)
    except pexpect.TIMEOUT:
        fail(what)
    repl.close()
    if repl.exitstatus != status:
        fail("%s: exit status %r" % (what, repl.exitstatus))


expect(prompt, "the prompt names the tenant")

# A multi-line query: `profiles` alone continues (blank-line rule needs a complete
# statement, but a line with `;` ends it). Tab completes `pl` to the trait `plan`.
repl.send("profiles\r")
expect("-> ", "a continuation prompt after an unfinished line")
repl.send("| where pl\t")
# libedit redraws only what the completion adds: `an ` after `pl`. Only `plan` gives the
# table below (`pl` would be an unknown field).
expect("an ", "tab completes the trait `plan`")
repl.send(' = "pro" | select email, plan | order by email | limit 3;\r')
expect(r"email\s+│ plan", "the table's header")
expect(r"\(3 rows, \d+ ms\)", "the row count and the time under the table")
table = repl.before
if "pro" not in table or "text" not in table:
    fail("the rows and the column types are on screen")
expect(prompt, "the prompt after the table")

# History: a statement, then the up arrow recalls it.
repl.send("count profiles where plan = \"pro\";\r")
expect(r"\(1 row", "a count")
expect(prompt, "the prompt after the count")
repl.send("\x1b[A")
expect('count profiles where plan = "pro";', "the up arrow recalls the last statement")
repl.send("\r")
expect(r"\(1 row", "the recalled statement runs")
expect(prompt, "the prompt after the recalled statement")

# Ctrl-C at the prompt drops the statement being typed, the lines before this one
# included (as psql): the next statement runs alone.
repl.send("profiles\r")
expect("-> ", "a continuation prompt before Ctrl-C")
repl.send("| where plan = ")
time.sleep(0.3)
repl.sendintr()
expect(r"\^C", "Ctrl-C at the prompt shows ^C")
expect(prompt, "Ctrl-C gives a fresh prompt, not a continuation one")
repl.send("count profiles;\r")
expect(r"\(1 row", "the statement after Ctrl-C runs alone (the dropped lines are gone)")
expect(prompt, "the prompt after the count")
# Ctrl-C on an empty prompt is harmless too. The terminal reads ^C as a key only once libedit
# has set it up for the line, a moment after the prompt is written; a ^C sent in that moment
# is SIGINT, ignored while no query runs (as a person could not press it that fast, wait).
time.sleep(0.3)
repl.sendintr()
expect(prompt, "Ctrl-C on an empty line gives the prompt again")

# Ctrl-C during a slow query cancels it on the server and gives the prompt back. The query
# is slow because another session holds a lock on the profiles until the end of this step.
locker = pexpect.spawn(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", superuser_url], encoding="utf-8", timeout=30)
locker.expect(r"=# ")
# (The answer, not the echo of the line typed: the two halves are joined only in the answer.)
locker.sendline("BEGIN; LOCK TABLE %s.profiles IN ACCESS EXCLUSIVE MODE; SELECT 'lo' || 'cked';" % schema)
locker.expect("locked")
repl.send("show value chain;\r")
time.sleep(1.0)
repl.sendintr()
expect("cancel", "Ctrl-C says the query is cancelled", timeout=20)
expect(prompt, "the prompt comes back after Ctrl-C", timeout=20)
locker.sendline("ROLLBACK;")
locker.sendline("\\q")
locker.expect(pexpect.EOF)
repl.send("count profiles;\r")
expect(r"\(1 row", "the REPL still answers after a cancel")
expect(prompt, "the prompt after the count")

# A problem is shown with a caret under the input.
repl.send("profiles | where contry = 1;\r")
expect(r"unknown field `contry`", "the diagnostic")
expect(r"\^\^\^\^\^\^", "the caret under the wrong name")
expect(prompt, "the prompt after a problem")

# Ctrl-D leaves. (After a short wait: libedit writes the prompt before it puts the terminal
# in its editing mode, and a key typed in that moment can be lost, as no person types.)
time.sleep(0.3)
repl.sendeof()
ends_with(0, "Ctrl-D ends the REPL")
with open(history) as f:
    # libedit's history format escapes spaces and the like as octal (`\040`).
    saved = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), f.read())
    if 'count profiles where plan = "pro";' not in saved:
        fail("the history file holds the statements")
mode = os.stat(history).st_mode & 0o777
if mode != 0o600:
    fail("the history file is private (mode %o)" % mode)

# A new session recalls the last session's statements.
repl = pexpect.spawn(binary, ["repl", "--url", url], env=env, dimensions=(50, 220), encoding="utf-8", timeout=30)
repl.logfile_read = type("Log", (), {"write": lambda self, s: log.append(s), "flush": lambda self: None})()
expect(prompt, "the prompt of a second session")
repl.send("\x1b[A")
expect("contry = 1;", "the up arrow recalls the previous session's last statement")
repl.send("\x15\\q\r")
try:
    repl.expect(pexpect.EOF, timeout=10)
except pexpect.TIMEOUT:
    fail("\\q ends the REPL")
# Ctrl-Z at the prompt still suspends the REPL (a shell with job control runs it), and `fg`
# brings it back usable.
shell = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=dict(env, PS1="SHELL$ "), dimensions=(50, 220),
                      encoding="utf-8", timeout=30)
shell.logfile_read = type("Log", (), {"write": lambda self, s: log.append(s), "flush": lambda self: None})()
repl = shell
expect(r"SHELL\$ ", "a shell")
shell.send("'%s' repl --url '%s'\r" % (binary, url))
expect(prompt, "the REPL in a shell")
shell.send("\x1a")
expect("Stopped", "Ctrl-Z suspends the REPL")
expect(r"SHELL\$ ", "the shell after Ctrl-Z")
shell.send("fg\r")
time.sleep(0.5)
shell.send("count profiles;\r")
expect(r"\(1 row", "the REPL answers after fg")
expect(prompt, "the prompt after fg's count")
time.sleep(0.3)
shell.sendeof()
expect(r"SHELL\$ ", "the shell after the REPL")
shell.send("exit\r")
shell.expect(pexpect.EOF)

# At a terminal, a server that is not there is one sentence and exit status 2.
repl = pexpect.spawn(binary, ["repl", "--url", "http://127.0.0.1:1"], env=env, dimensions=(50, 220), encoding="utf-8", timeout=30)
repl.logfile_read = type("Log", (), {"write": lambda self, s: log.append(s), "flush": lambda self: None})()
expect("nothing answers at http://127.0.0.1:1: is the server running?", "an unreachable server is named in one sentence")
ends_with(2, "the REPL stops with exit status 2 when it cannot start")
print("ok")
