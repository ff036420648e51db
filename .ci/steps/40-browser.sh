# Headless Chromium for the review app's browser tests (tests/review/test_browser.py):
# Debian's chromium and chromium-driver, driven by Selenium with the system browser.
# fonts-wqy-zenhei renders the Chinese text (screenshots under docs/).
APT_PACKAGES+=(chromium chromium-driver fonts-wqy-zenhei)
