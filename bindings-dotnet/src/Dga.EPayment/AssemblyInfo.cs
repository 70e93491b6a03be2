using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Dga.EPayment")]
[assembly: AssemblyDescription("DGA e-Payment (KTB) client: P/Invoke wrapper of the dga_epayment native library")]
[assembly: AssemblyVersion("0.2.0.0")]
[assembly: InternalsVisibleTo("Dga.EPayment.Tests")]
