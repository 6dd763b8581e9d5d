"""The one reader of the environment for all settings modules."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# A .env file in the project root is read for development; the environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("FWCONSOLE_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_first(*names, default=None):
    """Return the value of the first of the named variables that is set."""
    for name in names:
        value = env.str(name, default=None)
        if value:
            return value
    return default
