// Entry point: Dga.EPayment.Tests.exe SANDBOX_BINARY VECTORS_DIR [FILTER]
using System;

namespace Dga.EPayment.Tests
{
    internal static class Program
    {
        internal static string SandboxBinary;

        private static int Main(string[] args)
        {
            int child = ProcessTests.Child(args);
            if (child >= 0) return child;
            if (args.Length < 2)
            {
                Console.Error.WriteLine("usage: Dga.EPayment.Tests.exe SANDBOX_BINARY VECTORS_DIR [FILTER]");
                return 2;
            }
            SandboxBinary = args[0];
            Console.OutputEncoding = new System.Text.UTF8Encoding(false);
            using (var sandbox = new Sandbox(args[0]))
            {
                Console.WriteLine("sandbox at {0}, native library {1}", sandbox.Url, DgaClient.Version);
                var runner = new Runner();
                new ClientTests(sandbox).Register(runner);
                new SchemaTests().Register(runner);
                JsonTests.Register(runner);
                new FaultTests(sandbox).Register(runner);
                new CallbackTests(sandbox).Register(runner);
                new VectorTests(sandbox, args[1]).Register(runner);
                new ErrorVectorTests(args[0], args[1]).Register(runner);
                new AspNetTests(sandbox).Register(runner);
                new CallbackContractTests(sandbox, args[1]).Register(runner);
                new CallbackContractTests(sandbox, args[1], viaAsync: true).Register(runner);
                new AsyncTests(sandbox).Register(runner);
                new LogTests(sandbox).Register(runner);
                new FloodTests(sandbox).Register(runner);
                new LifetimeTests(sandbox).Register(runner);
                new AppDomainTests(sandbox).Register(runner);
                new ProcessTests(sandbox).Register(runner);
                new HttpsTests(args[0]).Register(runner);
                return runner.Run(args.Length > 2 ? args[2] : null);
            }
        }
    }
}
