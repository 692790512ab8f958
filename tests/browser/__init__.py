# A package, so this directory's test_book.py does not clash with tests/test_book.py under pytest.
