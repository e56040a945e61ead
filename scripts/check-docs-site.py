#!/usr/bin/env python
# Copyright (c) asyncops.jobs contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the rendered docs site in Debian's headless chromium (driven by selenium and chromium-driver).

Every page is opened in the browser and read from its DOM, so what is checked is what a reader sees:

- every module of the collection has a page showing each of its options (``ansible-doc``'s list),
  an example that uses the module, and each of its return values, in tables the browser lays out;
- the AWX guide (``docs/docsite/rst/awx.rst``) and the simulators role page are reachable from the
  index by following links;
- no page links to a page, anchor, stylesheet, script or image of the site that does not exist.

Keeps one screenshot of a module page (``--screenshot``). Exits 1 with one line per problem.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get('ASYNCOPS_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('ASYNCOPS_CHROMEDRIVER', '/usr/bin/chromedriver')
DOCS = 'collections/asyncops/jobs/'
MUST_REACH = {DOCS + 'docsite/awx.html': 'the AWX guide', DOCS + 'simulators_role.html': 'the simulators role'}

# What a page exposes to the checks, read in the browser after it loaded.
PAGE_SCRIPT = r'''
const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
  .concat([...document.querySelectorAll('a[name]')].map(e => e.name));
const refs = [...document.querySelectorAll('a[href]')].map(a => ({kind: 'link', url: a.href}))
  .concat([...document.querySelectorAll('link[href]')].map(l => ({kind: 'stylesheet', url: l.href})))
  .concat([...document.querySelectorAll('script[src]')].map(s => ({kind: 'script', url: s.src})))
  .concat([...document.querySelectorAll('img[src]')].map(i => ({kind: 'image', url: i.src})));
function shown(selector) {
  const e = document.querySelector(selector);
  if (!e) return null;
  const box = e.getBoundingClientRect();
  return {height: box.height, width: box.width, text: e.innerText};
}
return {title: document.title, ids: ids, refs: refs,
        parameters: shown('section#parameters table'), returns: shown('section#return-values table'),
        examples: shown('section#examples pre'),
        styled: getComputedStyle(document.body).fontFamily};
'''


def module_docs(collection):
    """ansible-doc's view of every module: {name: (option names, return keys)}."""
    names = sorted(f[:-3] for f in os.listdir(os.path.join(collection, 'plugins', 'modules'))
                   if f.endswith('.py') and not f.startswith('_'))
    ansible_doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    out = subprocess.run([ansible_doc, '--json', '-t', 'module'] + ['asyncops.jobs.' + n for n in names],
                         capture_output=True, text=True, check=True).stdout
    found = {}
    for fqcn, doc in json.loads(out).items():
        found[fqcn.split('.')[-1]] = (sorted((doc['doc'].get('options') or {}).keys()),
                                      sorted((doc.get('return') or {}).keys()))
    return found


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--user-data-dir=%s' % profile, '--window-size=1280,2000'):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--site', required=True, help='the built html folder')
    parser.add_argument('--collection', required=True, help='the collection the site was built from')
    parser.add_argument('--screenshot', required=True, help='PNG file for the screenshot of a module page')
    args = parser.parse_args()
    site = os.path.realpath(args.site)
    problems = []
    modules = module_docs(args.collection)
    if not modules:
        problems.append('no modules found in %s' % args.collection)

    pages = sorted(os.path.relpath(os.path.join(top, f), site) for top, dirs, files in os.walk(site)
                   for f in files if f.endswith('.html') and not top.startswith(os.path.join(site, '_')))
    seen = {}
    with tempfile.TemporaryDirectory(prefix='asyncops-chromium-') as profile:
        driver = browser(profile)
        try:
            for page in pages:
                driver.get('file://' + os.path.join(site, page))
                seen[page] = driver.execute_script(PAGE_SCRIPT)
            shot = DOCS + 'ksc_async_wait_module.html'
            if shot not in seen and modules:
                shot = DOCS + '%s_module.html' % sorted(modules)[0]
            driver.get('file://' + os.path.join(site, shot))
            driver.save_screenshot(args.screenshot)
        finally:
            driver.quit()
    print('opened %d pages in %s' % (len(seen), CHROMIUM))

    def target(url):
        """Site-relative page and anchor of an internal URL (None for another site)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != 'file':
            return None
        path = os.path.realpath(urllib.parse.unquote(parts.path))
        if path == '/' or not path.startswith(site + os.sep):
            path = os.path.join(site, 'index.html')   # the theme's logo links to "/", the site root
        if os.path.isdir(path):
            path = os.path.join(path, 'index.html')
        return os.path.relpath(path, site), urllib.parse.unquote(parts.fragment)

    links = {}
    for page, data in sorted(seen.items()):
        links[page] = set()
        for ref in data['refs']:
            found = target(ref['url'])
            if found is None:
                continue
            path, anchor = found
            if not os.path.exists(os.path.join(site, path)):
                problems.append('%s: %s %s: no such file in the site' % (page, ref['kind'], path))
            elif path.endswith('.html'):
                links[page].add(path)
                if anchor and path in seen and anchor not in seen[path]['ids']:
                    problems.append('%s: link to %s#%s: no such anchor' % (page, path, anchor))
        if not data['styled']:
            problems.append('%s: no stylesheet applied' % page)

    reached, todo = set(), ['index.html']
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        todo.extend(links.get(page, ()))
    for page, what in sorted(MUST_REACH.items()):
        if page not in reached:
            problems.append('%s (%s) is not reachable from index.html' % (page, what))

    for name, (options, returns) in sorted(modules.items()):
        page = DOCS + '%s_module.html' % name
        data = seen.get(page)
        if data is None:
            problems.append('%s: no page for module %s' % (page, name))
            continue
        if page not in reached:
            problems.append('%s is not reachable from index.html' % page)
        for section, label in (('parameters', 'options'), ('returns', 'return values'), ('examples', 'examples')):
            box = data[section]
            if not box or box['height'] <= 0 or not box['text'].strip():
                problems.append('%s: %s are not shown' % (page, label))
        ids = set(data['ids'])
        problems.extend('%s: option %s is not shown' % (page, o) for o in options if 'parameter-' + o not in ids)
        problems.extend('%s: return value %s is not shown' % (page, r) for r in returns if 'return-' + r not in ids)
        if data['examples'] and 'asyncops.jobs.' + name not in data['examples']['text']:
            problems.append('%s: the example does not use asyncops.jobs.%s' % (page, name))
        print('%s: %d options, %d return values, examples shown' % (name, len(options), len(returns)))

    with open(args.screenshot, 'rb') as f:
        if f.read(8) != b'\x89PNG\r\n\x1a\n':
            problems.append('%s is not a PNG' % args.screenshot)
    print('screenshot: %s (%d bytes)' % (args.screenshot, os.path.getsize(args.screenshot)))
    print('%d pages reachable from index.html; %s' % (len(reached), ', '.join(sorted(MUST_REACH.values()))))
    for problem in problems:
        print('PROBLEM: ' + problem)
    print('%d problems' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
