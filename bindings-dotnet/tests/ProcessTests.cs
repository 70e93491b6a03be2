// Tests in a child process, a copy of this test program:
// - the native library not found: run from a directory without it and with no LD_LIBRARY_PATH,
//   its first client must fail with DllNotFoundException (a TypeInitializationException hid it,
//   and kept the client broken for the domain's life); then it puts the library beside itself
//   and its next client must work, async calls and log included (on .NET; Mono keeps a failed
//   P/Invoke lookup per method);
// - process exit with a create in flight: its WARNING reaches a slow DgaLog handler before the
//   process ends.
using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace Dga.EPayment.Tests
{
    internal sealed class ProcessTests
    {
        private const string NoLibrary = "--without-native-library", Exit = "--exit-with-create-in-flight";
        private readonly Sandbox sb;

        public ProcessTests(Sandbox sandbox)
        {
            sb = sandbox;
        }

        private static bool Mono => Type.GetType("Mono.Runtime") != null;

        private static string NativeName => Mono ? "libdga_epayment.so" : "dga_epayment.dll";

        private static DgaClientOptions Options(string url) => new DgaClientOptions
        {
            ConsumerKey = "sandbox-key",
            ConsumerSecret = "sandbox-secret",
            AgentId = Sandbox.AgentId,
            GatewayUrl = url,
            Source = "SANDBOX",
        };

        /// <summary>The child's part: <c>--without-native-library LIBRARY URL</c> or <c>--exit-with-create-in-flight URL</c>; -1 for neither.</summary>
        internal static int Child(string[] args)
        {
            if (args.Length == 2 && args[0] == Exit)
            {
                DgaLog.Record += (s, r) =>
                {
                    Thread.Sleep(200);
                    Console.WriteLine("log: " + r);
                };
                var client = new DgaClient(Options(args[1]));
                client.CreatePaymentAsync(Sandbox.Request(PaymentType.FastPay, 8m));
                Thread.Sleep(100);
                return 0;
            }
            if (args.Length != 3 || args[0] != NoLibrary) return -1;
            var options = Options(args[2]);
            try
            {
                new DgaClient(options).Dispose();
                Console.WriteLine("first: no exception (the library was found)");
            }
            catch (Exception e)
            {
                Console.WriteLine("first: " + e.GetType().FullName + ": " + e.Message);
            }
            File.Copy(args[1], Path.Combine(AppDomain.CurrentDomain.BaseDirectory, NativeName));
            Console.WriteLine("found: " + DgaCitizenId.Validate("1234567890121"));
            var records = new ConcurrentQueue<DgaLogRecord>();
            DgaLog.Record += (s, r) => records.Enqueue(r);
            try
            {
                using (var client = new DgaClient(options))
                {
                    var p = client.CreatePaymentAsync(Sandbox.Request(PaymentType.FastPay, 7m)).Result;
                    Console.WriteLine("second: " + client.StatusAsync(p.Reference1, p.Reference2).Result.PaidStatus);
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (!records.Any(r => r.Message.Contains(p.OrderRef)) && DateTime.UtcNow < deadline) Thread.Sleep(20);
                    Console.WriteLine("logged: " + records.Any(r => r.Message.Contains(p.OrderRef)));
                }
            }
            catch (Exception e)
            {
                Console.WriteLine("second: " + e.GetType().FullName + ": " + e.Message);
            }
            return 0;
        }

        /// <summary>Runs a copy of this program (without the native library beside it) with <paramref name="args"/>; its output.</summary>
        private static string Run(string args, bool withLibraryPath)
        {
            var here = AppDomain.CurrentDomain.BaseDirectory;
            var dir = Path.Combine(Path.GetTempPath(), "dga-child-" + Process.GetCurrentProcess().Id);
            Directory.CreateDirectory(dir);
            try
            {
                foreach (var f in Directory.GetFiles(here).Where(f => !string.Equals(Path.GetFileName(f), NativeName, StringComparison.OrdinalIgnoreCase)))
                {
                    File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), true);
                }
                if (withLibraryPath && !Mono) File.Copy(Path.Combine(here, NativeName), Path.Combine(dir, NativeName));
                var exe = Path.Combine(dir, Path.GetFileName(Assembly.GetEntryAssembly().Location));
                var psi = Mono ? new ProcessStartInfo("mono", "--debug \"" + exe + "\" " + args) : new ProcessStartInfo(exe, args);
                psi.UseShellExecute = false;
                psi.RedirectStandardOutput = true;
                psi.RedirectStandardError = true;
                if (!withLibraryPath) psi.EnvironmentVariables.Remove("LD_LIBRARY_PATH");
                using (var child = Process.Start(psi))
                {
                    var stderr = child.StandardError.ReadToEndAsync();
                    var output = child.StandardOutput.ReadToEnd();
                    Assert.True(child.WaitForExit(60000), "the child ends");
                    Console.WriteLine("  " + output.Trim().Replace("\n", "\n  "));
                    Assert.Equal(0, child.ExitCode, "the child's exit code; stderr: " + stderr.Result);
                    return output;
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        public void Register(Runner r)
        {
            r.Add("no native library: DllNotFoundException, then with the library in place the next client works (.NET; Mono: DllNotFoundException again)", () =>
            {
                var here = AppDomain.CurrentDomain.BaseDirectory;
                var native = Mono
                    ? (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':').Concat(new[] { here })
                        .Select(d => Path.Combine(d, NativeName)).FirstOrDefault(File.Exists)
                    : Path.Combine(here, NativeName);
                Assert.True(native != null && File.Exists(native), "the native library found for the test: " + native);
                var output = Run(NoLibrary + " \"" + native + "\" " + sb.Url, false);
                Assert.Contains("first: System.DllNotFoundException", output, "a missing library");
                Assert.Contains("found: True", output, "the library in place");
                if (Mono)
                {
                    // Mono keeps a P/Invoke's failed lookup (one wrapper per method, made once):
                    // the call that failed fails again, as itself.
                    Assert.Contains("second: System.DllNotFoundException", output, "Mono, the next client");
                }
                else
                {
                    Assert.Contains("second: Pending", output, "the next client: a client, async calls");
                    Assert.Contains("logged: True", output, "and the log");
                }
            });

            r.Add("process exit with a create in flight: its WARNING reaches a slow DgaLog handler before the process ends", () =>
            {
                sb.ClearFaults();
                sb.Fault("create", "latency", 1, JsonNode.Object().Add("latencyMs", JsonNode.Number(500)));
                try
                {
                    var output = Run(Exit + " " + sb.Url, true);
                    Assert.Contains("finished after its caller went away: payment created at DGA", output, "the create's WARNING");
                }
                finally
                {
                    sb.ClearFaults();
                }
            });
        }
    }
}
