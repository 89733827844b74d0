"""The paper's figures, one ``fig_*.py`` module each; run them with ``widenets reproduce``.

This directory is not part of the installed package: ``widenets reproduce`` finds it by
searching upward from the current directory (or takes ``--figs-dir``) and imports every
``fig_*.py`` in it by path. See README.md here for how to add a figure.
"""
