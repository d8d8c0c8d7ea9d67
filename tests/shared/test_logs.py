"""The operator's log keeps one line, without the traceback, for an expected error."""
import io
import logging
import logging.config
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def configured_logger(stream: io.StringIO) -> None:
    settings = yaml.safe_load((ROOT / "deploy" / "nameko.yaml").read_text())["LOGGING"]
    settings["root"]["level"] = "INFO"
    logging.config.dictConfig(settings)
    logging.getLogger().handlers[0].setStream(stream)


def log_with_traceback(logger_name: str, message: str) -> None:
    try:
        raise ValueError("kolom tidak valid")
    except ValueError:
        logging.getLogger(logger_name).warning(message, exc_info=True)


def test_an_expected_error_is_one_line_and_others_keep_their_traceback():
    stream = io.StringIO()
    root = logging.getLogger()
    quieted = ("nameko", "amqp", "kombu", "alembic")  # the section sets their levels
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in quieted})
    try:
        configured_logger(stream)
        log_with_traceback("nameko.containers", "(expected) error handling worker <catalog.create_product>: invalid")
        first = stream.getvalue()
        log_with_traceback("nameko.containers", "error handling worker <catalog.create_product>: boom")
        second = stream.getvalue()[len(first):]
    finally:
        root.handlers[:], level, levels = saved
        root.setLevel(level)
        for name, logger_level in levels.items():
            logging.getLogger(name).setLevel(logger_level)
    assert "(expected) error handling worker" in first
    assert "Traceback" not in first
    assert "Traceback" in second and "ValueError: kolom tidak valid" in second
