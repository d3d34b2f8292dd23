"""exit_on_run_error: one line on stderr and exit status 1; the traceback in the log file."""
import errno
import logging

import pytest
from mmengine.logging import MMLogger

from deitlt_mm.errors import ConfigError, RunError, exit_on_run_error


def test_a_run_error_is_one_line_and_exit_status_1():
    with pytest.raises(SystemExit) as exit_info:
        with exit_on_run_error():
            raise ConfigError('--cfg-options x: unknown top-level key `x`')
    # SystemExit(str) prints the message on stderr and exits with status 1.
    assert exit_info.value.code == 'error: --cfg-options x: unknown top-level key `x`'


@pytest.mark.parametrize('error', [
    FileNotFoundError(errno.ENOENT, 'No such file or directory', 'data/train.txt'),
    OSError(errno.ENOSPC, 'No space left on device'),
])
def test_missing_files_and_full_disks_are_reported_too(error):
    with pytest.raises(SystemExit) as exit_info:
        with exit_on_run_error():
            raise error
    assert exit_info.value.code == f'error: {error}'


def test_other_errors_keep_their_traceback():
    with pytest.raises(ZeroDivisionError):
        with exit_on_run_error():
            raise ZeroDivisionError('a bug, not bad input')


def test_traceback_goes_to_the_log_file_and_to_stderr_on_request(tmp_path, monkeypatch, capsys):
    log_file = tmp_path / 'run.log'
    logger = MMLogger.get_instance('errors_test', log_file=str(log_file), log_level='INFO')
    monkeypatch.setenv('DEITLT_MM_DEBUG', '1')

    @exit_on_run_error()
    def main():
        raise RunError('the problem, and what to do')

    with pytest.raises(SystemExit):
        main()
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.flush()
    logged = log_file.read_text()
    assert 'error: the problem, and what to do' in logged
    assert 'Traceback (most recent call last)' in logged and 'in main' in logged
    assert 'Traceback (most recent call last)' in capsys.readouterr().err
