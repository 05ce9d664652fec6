#!/usr/bin/env python3
"""The man page, --help and the code's tables agree: every reason id, every
outcome and every option that gox prints is documented in man/gox.1."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import *  # noqa: F401,F403
import tap

MAN = open(os.path.join(tap.ROOT, "man", "gox.1")).read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")

COMPLETIONS = {name: open(os.path.join(tap.ROOT, "completions", name)).read()
               for name in ("gox.bash", "_gox", "gox.fish")}

def section(name):
    m = re.search(r"^\.SH " + re.escape(name) + r"\b(.*?)(?=^\.SH )", MAN, re.M | re.S)
    check(m, f"man page has no {name} section")
    return m.group(1)

@test
def every_reason_id_is_in_the_man_page():
    p = gox("explain", "--reasons")
    eq(p.returncode, 0, "gox explain --reasons")
    ids = [l.split()[0] for l in p.stdout.decode().splitlines() if l.strip()]
    check(len(ids) >= 20, f"reason table: {ids}")
    reasons = section("REASONS")
    missing = [i for i in ids if f"\n.B {i}\n" not in reasons]
    eq(missing, [], "reason ids missing from REASONS")

@test
def every_failure_class_is_in_the_man_page():
    p = gox("explain", "--classes")
    eq(p.returncode, 0, "gox explain --classes")
    ids = [l.split()[0] for l in p.stdout.decode().splitlines() if l.strip()]
    check(len(ids) >= 14, f"class table: {ids}")
    classes = section("FAILURE CLASSES")
    missing = [i for i in ids if f"\n.B {i}\n" not in classes]
    eq(missing, [], "failure classes missing from FAILURE CLASSES")
    for verdict in ("cache_caused", "reproducible", "inconclusive"):
        check(f".B {verdict}" in classes, verdict)

@test
def every_outcome_is_in_the_man_page():
    # The outcomes from gox's own table (gox explain --outcomes), not a list
    # kept here.
    out = section("OUTCOMES")
    p = gox("explain", "--outcomes")
    eq(p.returncode, 0, p.stderr)
    names = [l.split()[0] for l in p.stdout.decode().splitlines() if l.strip()]
    check(len(names) >= 5 and "cache_hit" in names, names)
    for o in names:
        check(f".B {o}" in out, o)
    # And every evidence id that decides one (gox explain --evidence).
    p = gox("explain", "--evidence")
    eq(p.returncode, 0, p.stderr)
    ids = [l.split()[0] for l in p.stdout.decode().splitlines() if l.strip()]
    check(len(ids) >= 10 and "compile" in ids and "actiongraph" in ids, ids)
    for e in ids:  # (MAN has its font escapes removed)
        check(re.search(r"(?<![\w-])" + re.escape(e) + r"(?![\w-])", out), f"evidence {e} in the man page's OUTCOMES")

@test
def every_option_in_help_is_in_the_man_page():
    texts = []
    for args in (["--help"], ["build", "--help"], ["parse", "--help"], ["explain", "--help"], ["diff", "--help"], ["history", "--help"], ["stats", "--help"], ["doctor", "--help"], ["report", "--help"], ["cacheprog", "--help"]):
        p = gox(*args)
        eq(p.returncode, 0, f"gox {' '.join(args)}")
        texts.append(p.stdout.decode())
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", "\n".join(texts)))
    check(len(opts) >= 10, f"options found: {sorted(opts)}")
    missing = sorted(o for o in opts if o not in MAN)
    eq(missing, [], "options in --help but not in man/gox.1")

def wrap_option_table():
    """The wrapper's option table, read from the code (src/gox/cli/options.hpp):
    [(name, value, group)]."""
    src = open(os.path.join(tap.ROOT, "src", "gox", "cli", "options.hpp")).read()
    body = src[src.index("kWrapOptions[] = {"):]
    body = body[:body.index("};")]
    rows = re.findall(r'^\s*\{"(--[a-z][a-z-]*)", "([^"]*)", OptionGroup::(\w+), "', body, re.M)
    check(len(rows) >= 14 and len(rows) == body.count("OptionGroup::"), f"option table rows: {rows}")
    return rows

@test
def every_wrapper_option_of_the_table_is_in_help_man_and_completions():
    rows = wrap_option_table()
    help_text = gox("build", "--help").stdout.decode()
    opts = section("OPTIONS")
    for name, value, group in rows:
        # A value in brackets is optional: --name or --name=value.
        spelled = name + (("[=" + value[1:] if value.startswith("[") else "=" + value) if value else "")
        check(re.search(r"^  " + re.escape(spelled) + r"(\s|$)", help_text, re.M), f"{spelled} not in gox build --help")
        check(re.search(r"^\.BR? " + re.escape(name) + r"( |$)", opts, re.M), f"{name} not in man OPTIONS")
        for comp, text in COMPLETIONS.items():
            if comp == "gox.fish":
                check(f"-l {name[2:]} " in text, f"{name} not in completions/{comp}")
            elif comp == "_gox":
                check(re.search(r"'\*?" + re.escape(name) + r"[=\[]", text), f"{name} not in completions/{comp}")
            else:
                check(re.search(re.escape(name) + ("=" if value else r"[ \"]"), text), f"{name} not in completions/{comp}")
    # The table is what the wrapper accepts: each option parses (with a value
    # when it takes one), a switch given a value and a valued one without it fail.
    samples = {"--summary": "off", "--summary-format": "json", "--go": "go", "--report": "x.json",
               "--report-format": "json", "--annotations": "github"}
    for name, value, group in rows:
        arg = name + ("=" + samples.get(name, "x") if value else "")
        p = gox(arg, "build", "--help")
        eq(p.returncode, 0, f"gox {arg} build --help: {p.stderr.decode()}")
        p = gox(name + ("" if value else "=1"), "build", "--help")
        eq(p.returncode, 0 if value.startswith("[") else 125, f"gox {name} with{'out' if value else ''} a value")

@test
def every_synopsis_option_of_a_command_is_in_the_man_synopsis():
    synopsis = section("SYNOPSIS")
    for cmd in ("parse", "explain", "diff", "history", "stats", "doctor", "report", "cacheprog"):
        usage = gox(cmd, "--help").stdout.decode().splitlines()[0]
        for o in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", usage):
            check(o in synopsis, f"{o} of gox {cmd} is not in the man SYNOPSIS")
    main = gox("--help").stdout.decode()
    for o in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", gox("doctor", "--help").stdout.decode().splitlines()[0]):
        check(o in main, f"doctor {o} is not in gox --help")

@test
def gox_commands_are_not_go_verbs():
    # `go help` lists go's commands; none may be one of gox's own.
    p = subprocess.run(["go", "help"], capture_output=True, text=True)
    listed = p.stdout[p.stdout.index("The commands are:"):p.stdout.index("Use \"go help <command>\"")]
    go_verbs = set(re.findall(r"^\t(\w+)\s", listed, re.M))
    check({"build", "list", "mod", "vet"} <= go_verbs, go_verbs)
    own = {"parse", "explain", "diff", "history", "stats", "doctor", "report", "cacheprog"}
    eq(sorted(go_verbs & own), [], "gox commands that are go verbs")
    for v in sorted(go_verbs):
        for name in COMPLETIONS:
            check(v in COMPLETIONS[name], f"go verb {v} not offered by completions/{name}")

@test
def every_log_format_of_parse_help_is_in_the_man_page():
    # gox parse --help lists the CI log styles from their table (trace/ci_log.hpp).
    p = gox("parse", "--help")
    eq(p.returncode, 0, "gox parse --help")
    styles = re.findall(r"^  ([a-z_]+) {2,}\S", p.stdout.decode(), re.M)
    for s in ("plain", "github_actions", "gitlab", "jenkins", "buildkit"):
        check(s in styles, f"{s} in gox parse --help: {styles}")
    missing = [s for s in styles if f"\n.B {s}\n" not in MAN]
    eq(missing, [], "log styles missing from man/gox.1")

@test
def man_page_renders():
    p = subprocess.run(["man", "-l", os.path.join(tap.ROOT, "man", "gox.1")], capture_output=True,
                       env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
    eq(p.returncode, 0, p.stderr.decode())
    text = re.sub(rb".\x08", b"", p.stdout)  # overstrike bold/underline
    check(b"SYNOPSIS" in text and b"REASONS" in text, "rendered sections")


@test
def every_subcommand_and_option_is_in_every_completion():
    texts = []
    for args in (["--help"], ["build", "--help"], ["parse", "--help"], ["explain", "--help"], ["diff", "--help"], ["history", "--help"], ["stats", "--help"], ["doctor", "--help"], ["report", "--help"], ["cacheprog", "--help"]):
        texts.append(gox(*args).stdout.decode())
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", "\n".join(texts)))
    verbs = ["build", "test", "install", "run", "vet", "parse", "explain", "diff", "history", "stats", "doctor", "report", "cacheprog"]
    for name, text in COMPLETIONS.items():
        # fish spells options without their dashes (-l why)
        missing = [o for o in sorted(opts) if o not in text and f"-l {o[2:]}" not in text]
        eq(missing, [], f"options missing from completions/{name}")
        missing = [v for v in verbs if v not in text]
        eq(missing, [], f"subcommands missing from completions/{name}")
    p = subprocess.run(["bash", "-n", os.path.join(tap.ROOT, "completions", "gox.bash")], capture_output=True)
    eq(p.returncode, 0, p.stderr.decode())

@test
def version_names_gox_and_the_go_it_runs():
    p = gox("--version")
    eq(p.returncode, 0, "exit")
    lines = p.stdout.decode().splitlines()
    check(lines[0].startswith("gox "), lines)
    check(len(lines) == 2 and lines[1].startswith("go: ") and "go version go1." in lines[1], lines)

@test
def destdir_install_runs_and_has_man_page_and_completions():
    build = os.path.dirname(GOX)
    dest = os.path.join(SCRATCH, "destdir")
    subprocess.run(["rm", "-rf", dest])
    # --no-rebuild: installs what the suites are testing. Without it, a
    # source edited while the suites run is compiled here, and the gox binary
    # is relinked under the scenarios that are running it (Permission denied).
    p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--quiet", "--no-rebuild"],
                       capture_output=True)
    eq(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
    p = subprocess.run(["meson", "introspect", build, "--buildoptions"], capture_output=True, text=True)
    import json as _json
    opts = {o["name"]: o["value"] for o in _json.loads(p.stdout)}
    prefix = opts["prefix"].lstrip("/")
    root = os.path.join(dest, prefix)
    binary = os.path.join(root, opts["bindir"], "gox")
    p = subprocess.run([binary, "--version"], capture_output=True)
    eq(p.returncode, 0, "installed gox --version")
    check(p.stdout.startswith(b"gox "), p.stdout)
    man = os.path.join(root, opts["mandir"], "man1", "gox.1")
    p = subprocess.run(["man", "-l", man], capture_output=True, env=dict(os.environ, MANWIDTH="80"))
    eq(p.returncode, 0, p.stderr.decode())
    for rel in ("bash-completion/completions/gox", "zsh/site-functions/_gox", "fish/vendor_completions.d/gox.fish"):
        check(os.path.exists(os.path.join(root, opts["datadir"], rel)), rel)
    subprocess.run(["rm", "-rf", dest])

# Each command's options, as its --help lists them (and the man page and
# completions name them), with a mistyped spelling of one and the option
# gox must suggest for it.
COMMAND_OPTIONS = {
    "parse": (["--format", "--actiongraph", "--stdout"], "--actiongrph=x", "--actiongraph"),
    "explain": (["--format", "--run", "--reasons", "--classes", "--outcomes", "--evidence"], "--reason", "--reasons"),
    "diff": (["--format", "--fail-over"], "--fail-ovr=5", "--fail-over"),
    "history": (["--format", "--all"], "--al", "--all"),
    "stats": (["--since", "--project", "--format", "--output", "--report"], "--projet=x", "--project"),
    "doctor": (["--format", "--mod-verify", "--verify-cache"], "--verify", "--verify-cache"),
    "report": (["--format", "--output", "--redact-paths", "--no-redact"], "--redact-path", "--redact-paths"),
    "cacheprog": (["--gocache", "--record", "--upstream", "--no-local", "--no-history"], "--recod=x", "--record"),
}

def listed_options(text):
    """The options of a --help's `Options:` list: {name: takes a value}."""
    body = text[text.index("\nOptions:\n"):]
    return {m.group(1): bool(m.group(2)) for m in re.finditer(r"^  (?:-\w, )?(--[a-z][a-z-]+)(=\S+)?", body, re.M)}

@test
def every_command_help_lists_its_options_and_each_is_accepted():
    for cmd, (names, _, _) in COMMAND_OPTIONS.items():
        p = gox(cmd, "--help")
        eq(p.returncode, 0, f"gox {cmd} --help")
        text = p.stdout.decode()
        listed = listed_options(text)
        eq(sorted(listed), sorted(names + ["--help"]), f"options of gox {cmd} --help")
        # The usage line names only options of the list.
        for o in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text.splitlines()[0]):
            check(o in listed, f"gox {cmd}: {o} of the usage line is not in its option list")
        # Each listed option parses (--help then wins); a valued one given
        # without its value is an error.
        for o, valued in listed.items():
            arg = o + "=x" if valued else o
            p = gox(cmd, arg, "--help")
            eq(p.returncode, 0, f"gox {cmd} {arg} --help: {p.stderr.decode()}")
            if valued:
                p = gox(cmd, o)
                eq(p.returncode, 125, f"gox {cmd} {o} without a value")
                check(f"gox: {cmd}: {o} needs a value".encode() in p.stderr, p.stderr)
    eq(sorted(listed_options(gox("--help").stdout.decode())), ["--help", "--version"], "gox --help options")

@test
def a_mistyped_option_gets_a_suggestion_from_the_declared_ones():
    for cmd, (_, typo, meant) in COMMAND_OPTIONS.items():
        p = gox(cmd, typo)
        eq(p.returncode, 125, f"gox {cmd} {typo}")
        eq(p.stdout, b"", f"gox {cmd} {typo}: stdout")
        lines = p.stderr.decode().splitlines()
        eq(lines, [f"gox: {cmd}: unknown option {typo}", f"Did you mean {meant}?"], f"gox {cmd} {typo}")
        # Nothing close: where the help is.
        p = gox(cmd, "--zzzzzzzz")
        eq(p.returncode, 125, f"gox {cmd} --zzzzzzzz")
        eq(p.stderr.decode().splitlines()[-1], f"Run 'gox {cmd} --help' for usage.", f"gox {cmd} --zzzzzzzz")
    # The wrapper's options, from their table: a mistyped one is named
    # whatever follows it; one that is far from all of them starts go's
    # command line (go judges it).
    for typo, meant in (("--no-histroy", "--no-history"), ("--sumary=off", "--summary"), ("--verify-suspect", "--verify-suspects")):
        p = gox(typo, "build", "./...")
        eq(p.returncode, 125, f"gox {typo} build")
        eq(p.stderr.decode().splitlines(), [f"gox: unknown option {typo}", f"Did you mean {meant}?"], f"gox {typo}")
    # Each gox option is one argument: a valued one does not take the next.
    p = gox("--summary", "--why", "build", "--help")
    eq(p.returncode, 125, "gox --summary --why build")
    check(p.stderr.startswith(b"gox: --summary needs a value: --summary=stderr|off|FILE"), p.stderr)

@test
def both_value_forms_and_the_last_of_a_repeated_option():
    tmp = os.path.join(tap.SCRATCH, "docs-value-forms")
    os.makedirs(tmp, exist_ok=True)
    trace = os.path.join(tap.ROOT, "trace_samples", "go126-cold-build.trace")
    check(os.path.exists(trace), trace)
    a = gox("parse", "--format=json", trace)
    b = gox("parse", "--format", "json", trace)
    c = gox("parse", "--format=text", "--format=json", trace)
    eq(a.returncode, 0, a.stderr.decode())
    eq(b.stdout, a.stdout, "parse --format json")
    eq(c.stdout, a.stdout, "parse: the last --format wins")
    saved = os.path.join(tmp, "run.json")
    with open(saved, "wb") as f:
        f.write(a.stdout)
    md = [gox("report", *args, saved) for args in (["--format=markdown"], ["--format", "markdown"], ["--format=json", "--format=md"])]
    for p in md:
        eq(p.returncode, 0, p.stderr.decode())
        eq(p.stdout, md[0].stdout, "report --format forms")
    for args in (["-o", os.path.join(tmp, "r.md")], ["--output", os.path.join(tmp, "r.md")], ["--output=" + os.path.join(tmp, "r.md")]):
        p = gox("report", *args, saved)
        eq(p.returncode, 0, p.stderr.decode())
        eq(open(os.path.join(tmp, "r.md"), "rb").read(), md[0].stdout, f"report {args}")
    # `-` is standard input, not an option.
    p = gox("report", "--format=md", "-", input=a.stdout)
    eq((p.returncode, p.stdout), (0, md[0].stdout), "report -")

if __name__ == "__main__":
    run()
