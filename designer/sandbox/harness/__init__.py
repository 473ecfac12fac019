"""Harnesses: the programs that run inside the sandbox (standard library + installed packages).

They import nothing from the designer: the sandbox sees only this folder, bound read-only at
`/sandbox/harness`, and imports `protocol` from it as a top-level module.
"""
