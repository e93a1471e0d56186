"""The accessibility check the browser tests call at each page is not a silent pass."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
)

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><title>Form</title></head>
<body><main><h1>Form</h1>{field}</main></body></html>"""


def test_an_unlabelled_field_fails_the_check_with_axes_report(browser: Any) -> None:  # noqa: F811
    page = browser.new_page()
    try:
        page.set_content(PAGE.format(field='<label>Name <input type="text"></label>'))
        assert_accessible(page)

        page.set_content(PAGE.format(field='<input type="text">'))
        report = r"(?s)a field without a label.*label - .*Target: input"
        with pytest.raises(pytest.fail.Exception, match=report):
            assert_accessible(page, state="a field without a label")
    finally:
        page.close()
