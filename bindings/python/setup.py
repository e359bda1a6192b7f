"""Builds the wheel. Metadata is in pyproject.toml; this file only makes a wheel that bundles
libmetaldb (in metaldb/_native/, put there by `make wheel`) a platform wheel: the library is
machine code for one platform, so the wheel must not claim py3-none-any. ctypes does not depend
on the CPython ABI, so the tag is py3-none-<platform>."""

from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.dist import Distribution

BUNDLES_LIBRARY = any((Path(__file__).parent / "metaldb" / "_native").glob("libmetaldb*"))


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = not BUNDLES_LIBRARY

    def get_tag(self):
        python, abi, platform = super().get_tag()
        return ("py3", "none", platform) if BUNDLES_LIBRARY else (python, abi, platform)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return BUNDLES_LIBRARY


setup(cmdclass={"bdist_wheel": PlatformWheel}, distclass=BinaryDistribution)
