# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for shmpool's documentation (`make htmldocs`).
#
# Only what Debian's python3-sphinx brings is used: no extension that
# fetches anything (intersphinx would go to the network) and the default
# theme, which the package depends on.  The build runs with -W -n, so a
# broken reference or any warning fails it.

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
