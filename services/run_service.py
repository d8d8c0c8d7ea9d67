"""`python -m services.run_service <nameko run args>`: nameko's CLI without eventlet's
deprecation banner, which every process would otherwise print at start, and with AMQP
frames read from the socket in large chunks (``shared.amqp_reads``)."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import nameko.cli  # noqa: E402

from shared.amqp_reads import use_buffered_reads  # noqa: E402

if __name__ == "__main__":
    use_buffered_reads()
    nameko.cli.cli()
