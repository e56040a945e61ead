#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fail on a reference to a repository file that does not exist (the suite's "references" step).

Three kinds of reference are checked, in comments, docstrings, documentation and scripts alike:

- a path from the repository root (``tests/unit/conftest.py``, ``LICENSES/GPL-3.0-or-later.txt``):
  it must exist, or be ignored by git (generated output such as ``tests/output/``). Where a
  placeholder follows (``plugins/modules/<module>.py``, ``tests/sanity/ignore-*.txt``) only the
  directory before it must exist;
- a document named by a file name (``refreshing-pins.md``): some file of that name must exist;
- a note cited by section (``DESIGN section 4``, ``API-NOTES section 2``): a document of that
  name (``DESIGN.md``...) must be in the repository.

Usage: ``scripts/check-references.py [ROOT]`` (default: the checkout this script is in).
Prints one ``file:line: ...`` line per dead reference and exits 1 if there is any.
"""

import os
import re
import subprocess
import sys

TEXT_SUFFIXES = ('.py', '.sh', '.md', '.rst', '.yml', '.yaml', '.txt', '.cfg', '.ini', '.j2', '.in', '.toml')
# Files whose words are not references: the licence texts and machine-written pins.
SKIP = re.compile(r'^(COPYING|LICENSES/|tests/constraints/.*\.txt$|changelogs/\.plugin-cache\.yaml$)')
# Top-level folders a reference may start with, besides those the repository has.
CONVENTIONAL = {'.ci', '.github', 'LICENSES', 'changelogs', 'docs', 'extensions', 'meta', 'playbooks', 'plugins',
                'roles', 'scripts', 'tests'}
PLACEHOLDER = '<{*$%'
# Named in the repository on purpose although absent: folders that are optional, files written later.
OPTIONAL_PATHS = {'tests/sanity'}   # ansible-test's ignore files; the suite insists there are none
OPTIONAL_NAMES = {'changelog.rst'}  # written by antsibull-changelog release (changelogs/config.yaml)
CAPS_WORD = re.compile(r'(?:^|[/.-])[A-Z]+(?:[/.-]|$)')
NOTE = re.compile(r'\b([A-Z][A-Z0-9]+(?:[-_][A-Z0-9]+)*)(?:\.md)?,? (?:section|sections|§) ?\d')
DOC_NAME = re.compile(r'(?<![\w./-])([A-Za-z0-9][\w-]*\.(?:md|rst))\b')


def list_files(root):
    """Tracked files plus untracked files git does not ignore; every file without git."""
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z', '-c', '-o', '--exclude-standard'],
                             capture_output=True, check=True).stdout.decode()
        return sorted(set(f for f in out.split('\0') if f and os.path.isfile(os.path.join(root, f))))
    except (OSError, subprocess.CalledProcessError):
        found = []
        for top, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ('.git', 'output', '__pycache__')]
            found.extend(os.path.relpath(os.path.join(top, f), root) for f in files)
        return sorted(found)


def ignored(root, paths):
    """The subset of paths git ignores (generated output is fine to name), as files or folders."""
    if not paths:
        return set()
    try:
        answer = subprocess.run(['git', '-C', root, 'check-ignore', '--no-index', '--stdin', '-z'],
                                input='\0'.join(list(paths) + [p + '/' for p in paths]).encode(),
                                capture_output=True, check=False)
    except OSError:
        return set()
    return set(p.rstrip('/') for p in answer.stdout.decode().split('\0') if p)


def exists(root, rel, path):
    """From the repository root, or from a folder above the file (a role's README names meta/...)."""
    here = os.path.dirname(rel)
    while True:
        if os.path.exists(os.path.join(root, here, path)):
            return True
        if not here:
            return False
        here = os.path.dirname(here)


def path_pattern(tops):
    names = '|'.join(re.escape(t) for t in sorted(tops, key=len, reverse=True))
    # Not inside a URL, another path or a dotted Python name; stops at a placeholder or punctuation.
    return re.compile(r'(?<![\w./~$@:-])(?:\./)?((?:%s)/[\w./+-]*)' % names)


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), '..'))
    files = list_files(root)
    tops = CONVENTIONAL | set(f.split('/', 1)[0] for f in files if '/' in f)
    paths = path_pattern(tops)
    names = set(os.path.basename(f).lower() for f in files)
    stems = set(os.path.splitext(n)[0] for n in names)

    candidates = []   # (file, line number, token, path to check, kind)
    me = os.path.relpath(os.path.abspath(__file__), root)
    for rel in files:
        if rel == me or SKIP.match(rel) or not (rel.endswith(TEXT_SUFFIXES) or '.' not in os.path.basename(rel)):
            continue
        try:
            with open(os.path.join(root, rel), encoding='utf-8') as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, 1):
            for match in paths.finditer(line):
                token = match.group(1).rstrip('.')
                if token.endswith(('.html', '.htm')):
                    continue   # a page of a docs site (docs.ansible.com's plugins/action.html), not a file here
                after = line[match.end():match.end() + 1]
                check = token
                # tests/constraints/<name>.in, core-V.in: only the folder before the placeholder is real
                if (after and after in PLACEHOLDER) or (CAPS_WORD.search(token) and not exists(root, rel, token)):
                    check = token.rsplit('/', 1)[0]
                check = check.rstrip('/')
                if check not in OPTIONAL_PATHS and not exists(root, rel, check):
                    candidates.append((rel, number, token, check, 'path'))
            for match in DOC_NAME.finditer(line):
                if match.group(1).lower() not in OPTIONAL_NAMES:
                    candidates.append((rel, number, match.group(1), match.group(1).lower(), 'name'))
            for match in NOTE.finditer(line):
                candidates.append((rel, number, match.group(0), match.group(1).lower(), 'note'))

    generated = ignored(root, sorted(set(c[3] for c in candidates if c[4] == 'path')))
    dead = []
    for rel, number, token, check, kind in candidates:
        if kind == 'path':
            if check not in generated:
                dead.append('%s:%d: %s: no such file or folder in the repository' % (rel, number, token))
        elif kind == 'name':
            if check not in names:
                dead.append('%s:%d: %s: no file of that name in the repository' % (rel, number, token))
        elif check not in stems:
            dead.append('%s:%d: "%s" cites %s, which is not in the repository' % (rel, number, token, check.upper()))
    for line in dead:
        print(line)
    print('%d files checked: %d dead references' % (len(files), len(dead)))
    return 1 if dead else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
