"""The harness itself (altodtest.py): what altod wrote stays visible when a
test fails, and an altod that died of a signal (a libmicrohttpd panic
aborts; last sessions saw SIGABRT at SIGTERM with nothing shown) fails the
test that stops it, with its stderr."""

import contextlib
import io
import os
import resource
import signal
import unittest

import altodtest as at


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Inner(unittest.TestCase):
    """Run by the tests below through a result of their own, never by
    unittest.main() (see load_tests)."""

    def test_fails(self):
        a = at.start_altod(self)
        a.wait_for_log(r"ready:")
        self.assertEqual(a.get("/").status, 999)

    def test_passes(self):
        a = at.start_altod(self)
        self.assertEqual(a.get("/").status, 200)

    def test_altod_aborts(self):
        a = at.start_altod(self, preexec_fn=no_core)
        os.kill(a.pid, signal.SIGABRT)
        a.proc.wait(at.STOP_TIMEOUT)


def run_inner(name):
    """Runs Inner.name; returns (result, what the run wrote on stderr)."""
    err = io.StringIO()
    result = unittest.TestResult()
    with contextlib.redirect_stderr(err):
        Inner(name).run(result)
    return result, err.getvalue()


class TestHarness(unittest.TestCase):
    def test_a_failed_test_shows_altods_stderr(self):
        result, err = run_inner("test_fails")
        self.assertEqual(len(result.failures), 1, result.failures)
        self.assertIn("Inner.test_fails failed: altod ", err)
        self.assertRegex(err, r"info: main: altod \S+ ready:")

    def test_a_passing_test_shows_nothing(self):
        result, err = run_inner("test_passes")
        self.assertTrue(result.wasSuccessful(), result.failures + result.errors)
        self.assertEqual(err, "")

    def test_an_altod_killed_by_a_signal_fails_the_test(self):
        result, err = run_inner("test_altod_aborts")
        # the test body passed; its cleanup (stop) failed it
        self.assertEqual(len(result.errors) + len(result.failures), 1, result.errors + result.failures)
        report = (result.errors + result.failures)[0][1]
        self.assertIn("ended by SIGABRT", report)
        self.assertRegex(report, r"info: main: altod \S+ ready:")
        # shown once, not again as a failed test's stderr
        self.assertEqual(err.count("ended by SIGABRT; its stderr:"), 1, err)
        self.assertNotIn("failed: altod", err)


def load_tests(loader, tests, pattern):
    return loader.loadTestsFromTestCase(TestHarness)


if __name__ == "__main__":
    unittest.main()
