# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for shmpool's documentation (`make htmldocs`).
#
# Only what Debian's python3-sphinx brings is used, and the kernel's own
# kernel-doc extension: no extension that fetches anything (intersphinx
# would go to the network) and the default theme, which the package depends
# on.  The build runs with -W -n, so a broken reference or any warning
# fails it.

import os
import sys

# The design prose is written once, as kernel-doc DOC: blocks in module/,
# and pulled into the pages with `.. kernel-doc:: module/FILE` and
# `:doc: TITLE`.  The directive is the kernel's own
# (Documentation/sphinx/kerneldoc.py, which needs only kernellog.py beside
# it) and runs the kernel's scripts/kernel-doc, both from the 6.12 source
# tools/deps unpacks into the cache; neither is copied into this tree.
_cache = os.environ.get('SHMPOOL_CACHE',
                        os.path.expanduser('~/.cache/shmpool'))
_ksrc = os.path.join(_cache, 'linux-6.12')
if not os.path.exists(os.path.join(_ksrc, '.complete')):
    # Sphinx reports a sys.exit() without its message: say it first.
    sys.stderr.write('Documentation/conf.py: no kernel source in %s; '
                     'run tools/deps\n' % _ksrc)
    sys.exit(1)
sys.path.insert(0, os.path.join(_ksrc, 'Documentation', 'sphinx'))
extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(_ksrc, 'scripts', 'kernel-doc')
# Paths in the directive are relative to the repository's root.
kerneldoc_srctree = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

project = 'shmpool'
copyright = 'The shmpool developers'
author = 'The shmpool developers'

master_doc = 'index'
source_suffix = '.rst'

# Documentation/man/ holds the troff man page, and the build goes to
# Documentation/output/: neither is a source of Sphinx's.
exclude_patterns = ['output', 'man']

# The kernel's own convention: C code blocks unless they say otherwise.
highlight_language = 'none'
primary_domain = 'c'

html_theme = 'alabaster'
html_title = 'shmpool documentation'
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
