// The C# row of scripts/bench-bindings.sh: Status calls per second against a running sandbox,
// one client, one caller (seq), 8 threads sharing it (conc8), or 64 StatusAsync in flight
// from one thread (async64). Prints one JSON line; exits
// non-zero if any call failed or was not Pending.
// Usage: mono Bench.exe URL seq|conc8 SECONDS
using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Dga.EPayment;

static class Bench
{
    static long calls, errors;
    static volatile bool stop;

    static double Run(DgaClient client, string r1, string r2, int n, double secs)
    {
        stop = false;
        Interlocked.Exchange(ref calls, 0);
        var watch = Stopwatch.StartNew();
        var threads = new Thread[n];
        for (int i = 0; i < n; i++)
        {
            threads[i] = new Thread(() =>
            {
                while (!stop)
                {
                    try
                    {
                        if (client.Status(r1, r2).PaidStatus == PaidStatus.Pending)
                            Interlocked.Increment(ref calls);
                        else
                            Interlocked.Increment(ref errors);
                    }
                    catch (DgaException e)
                    {
                        Console.Error.WriteLine("status: " + e.Message);
                        Interlocked.Increment(ref errors);
                    }
                }
            });
            threads[i].Start();
        }
        Thread.Sleep(TimeSpan.FromSeconds(secs));
        stop = true;
        foreach (var t in threads) t.Join();
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>64 StatusAsync in flight from one thread, each replaced as it completes.</summary>
    static double RunAsync(DgaClient client, string r1, string r2, int inFlight, double secs)
    {
        stop = false;
        Interlocked.Exchange(ref calls, 0);
        var watch = Stopwatch.StartNew();
        var done = new CountdownEvent(inFlight);
        Action<System.Threading.Tasks.Task<PaymentStatus>> next = null;
        next = t =>
        {
            if (t.Status == System.Threading.Tasks.TaskStatus.RanToCompletion && t.Result.PaidStatus == PaidStatus.Pending)
                Interlocked.Increment(ref calls);
            else
                Interlocked.Increment(ref errors);
            if (stop) done.Signal();
            else client.StatusAsync(r1, r2).ContinueWith(next, System.Threading.Tasks.TaskContinuationOptions.ExecuteSynchronously);
        };
        for (int i = 0; i < inFlight; i++)
        {
            client.StatusAsync(r1, r2).ContinueWith(next, System.Threading.Tasks.TaskContinuationOptions.ExecuteSynchronously);
        }
        Thread.Sleep(TimeSpan.FromSeconds(secs));
        stop = true;
        done.Wait();
        return watch.Elapsed.TotalSeconds;
    }

    static int Main(string[] args)
    {
        string url = args[0], mode = args[1];
        double secs = double.Parse(args[2], CultureInfo.InvariantCulture);
        int n = mode == "seq" ? 1 : mode == "conc8" ? 8 : mode == "async64" ? 64 : 0;
        if (n == 0) { Console.Error.WriteLine("mode is seq, conc8 or async64"); return 2; }
        Func<DgaClient, string, string, int, double, double> run = mode == "async64" ? (Func<DgaClient, string, string, int, double, double>)RunAsync : Run;
        var options = new DgaClientOptions
        {
            ConsumerKey = "sandbox-key",
            ConsumerSecret = "sandbox-secret",
            AgentId = "1234567890121",
            GatewayUrl = url,
            Source = "SANDBOX",
        };
        using (var client = new DgaClient(options))
        {
            Payment p = client.CreatePayment(new CreatePaymentRequest
            {
                CustomerId = "1234567890121",
                CustomerTitleName = "นาย",
                CustomerFirstName = "ทดสอบ",
                CustomerLastName = "ระบบ",
                PaymentType = PaymentType.FastPay,
                Amount = 100.00m,
                RequestReference1 = "BENCH-CS-" + DateTime.UtcNow.Ticks,
            });
            string warmup = Environment.GetEnvironmentVariable("BENCH_WARMUP"); // the same for every language
            run(client, p.Reference1, p.Reference2, n, warmup == null ? 0.5 : double.Parse(warmup, CultureInfo.InvariantCulture));
            // CPU of every thread of the process (the library's runtime threads included).
            TimeSpan cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
            double elapsed = run(client, p.Reference1, p.Reference2, n, secs);
            double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpuStarted).TotalMilliseconds * 1000 / Math.Max(calls, 1);
            if (errors > 0) { Console.Error.WriteLine("csharp " + mode + ": " + errors + " failed calls"); return 1; }
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("{\"lang\":\"csharp\",\"mode\":\"" + mode + "\",\"calls\":" + calls
                + ",\"seconds\":" + elapsed.ToString("F3", inv)
                + ",\"calls_per_s\":" + (calls / elapsed).ToString("F1", inv)
                + ",\"cpu_us_per_call\":" + cpuUs.ToString("F1", inv) + "}");
        }
        return 0;
    }
}
