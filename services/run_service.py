"""`python -m services.run_service <nameko run args>`: nameko's CLI without eventlet's
deprecation banner, which every process would otherwise print at start."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import nameko.cli  # noqa: E402

if __name__ == "__main__":
    nameko.cli.cli()
