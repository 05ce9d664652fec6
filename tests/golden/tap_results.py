"""TAP output of the golden checks: one line per (ok, name, diagnostics)."""


def print_tap(results):
    """Prints results as TAP (diagnostics of failures as # lines, at most 40
    each); returns the exit status: 0 when all passed."""
    print(f"1..{len(results)}")
    for i, (ok, name, diag) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok and diag:
            for line in diag.strip().splitlines()[:40]:
                print("# " + line)
    return 0 if all(r[0] for r in results) else 1
