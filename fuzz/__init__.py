"""Fuzzing sipscope: coverage-guided targets (atheris) and a mutation runner over real captures; see README.md."""
