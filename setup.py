# Metadata lives in pyproject.toml; this only declares the C parser for wide numeric matrices
# (src/tcgatl/inputs/_tsvparse.c). Without a compiler the library falls back to pyarrow's reader.
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "tcgatl.inputs._tsvparse", ["src/tcgatl/inputs/_tsvparse.c"], extra_compile_args=["-O3"], optional=True
        )
    ]
)
