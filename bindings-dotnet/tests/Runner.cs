// A minimal test runner (no NUnit is installable offline): each test is a named Action; a test
// passes when it returns, fails when it throws. Prints "N passed, N failed"; exit code 1 on any
// failure.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;

namespace Dga.EPayment.Tests
{
    internal sealed class TestFailure : Exception
    {
        public TestFailure(string message)
            : base(message)
        {
        }
    }

    internal static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
            {
                throw new TestFailure("expected: " + what);
            }
        }

        public static void Equal<T>(T expected, T actual, string what = null)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new TestFailure((what == null ? "" : what + ": ") + "expected <" + Show(expected) + "> but got <" + Show(actual) + ">");
            }
        }

        public static void NotNull(object value, string what)
        {
            if (value == null)
            {
                throw new TestFailure("expected non-null: " + what);
            }
        }

        public static void Contains(string needle, string haystack, string what = null)
        {
            if (haystack == null || haystack.IndexOf(needle, StringComparison.Ordinal) < 0)
            {
                throw new TestFailure((what == null ? "" : what + ": ") + "expected <" + haystack + "> to contain <" + needle + ">");
            }
        }

        public static void DoesNotContain(string needle, string haystack, string what = null)
        {
            if (haystack != null && haystack.IndexOf(needle, StringComparison.Ordinal) >= 0)
            {
                throw new TestFailure((what == null ? "" : what + ": ") + "<" + haystack + "> must not contain <" + needle + ">");
            }
        }

        public static void SetEqual(IEnumerable<string> expected, IEnumerable<string> actual, string what)
        {
            var e = new SortedSet<string>(expected, StringComparer.Ordinal);
            var a = new SortedSet<string>(actual, StringComparer.Ordinal);
            if (!e.SetEquals(a))
            {
                throw new TestFailure(what + ": expected {" + string.Join(", ", e) + "} but got {" + string.Join(", ", a) + "}");
            }
        }

        /// <summary>Runs <paramref name="action"/>, which must throw exactly <typeparamref name="T"/> (or a subclass).</summary>
        public static T Throws<T>(Action action, string what = null) where T : Exception
        {
            try
            {
                action();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new TestFailure((what == null ? "" : what + ": ") + "expected " + typeof(T).Name + " but got " + e.GetType().Name + ": " + e.Message);
            }
            throw new TestFailure((what == null ? "" : what + ": ") + "expected " + typeof(T).Name + " but nothing was thrown");
        }

        private static string Show(object o)
        {
            return o == null ? "null" : o.ToString();
        }
    }

    internal sealed class Runner
    {
        private readonly List<KeyValuePair<string, Action>> tests = new List<KeyValuePair<string, Action>>();

        public void Add(string name, Action test)
        {
            tests.Add(new KeyValuePair<string, Action>(name, test));
        }

        public int Run(string filter)
        {
            int passed = 0, failed = 0;
            var failures = new List<string>();
            var total = Stopwatch.StartNew();
            foreach (var t in tests.Where(t => filter == null || t.Key.Contains(filter)))
            {
                var sw = Stopwatch.StartNew();
                try
                {
                    t.Value();
                    passed++;
                    Console.WriteLine("ok   {0} ({1} ms)", t.Key, sw.ElapsedMilliseconds);
                }
                catch (Exception e)
                {
                    failed++;
                    var msg = e is TestFailure ? e.Message : e.ToString();
                    failures.Add(t.Key + ": " + msg);
                    Console.WriteLine("FAIL {0} ({1} ms)\n     {2}", t.Key, sw.ElapsedMilliseconds, msg.Replace("\n", "\n     "));
                }
            }
            if (failures.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine("Failures:");
                foreach (var f in failures)
                {
                    Console.WriteLine("  " + f.Split('\n')[0]);
                }
            }
            Console.WriteLine();
            Console.WriteLine("{0} passed, {1} failed ({2:F1} s)", passed, failed, total.Elapsed.TotalSeconds);
            return failed == 0 && passed > 0 ? 0 : 1;
        }
    }
}
