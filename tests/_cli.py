"""Shared by the command-line tests: a failing command is one clean line and a non-zero exit."""

import pytest


def fails_in_one_line(main, argv, capsys, code=None) -> str:
    """Run ``main(argv)``; it must exit non-zero (``code`` if given) with one line on stderr and no traceback."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and (code is None or exit_.value.code == code)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err
