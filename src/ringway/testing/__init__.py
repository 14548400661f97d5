"""The test kit: a ringway server for a test session, an account per test, a webhook receiver
(the pytest plugin in ``plugin``), and what ``ringway run`` builds on."""
