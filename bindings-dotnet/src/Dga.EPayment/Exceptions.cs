// DgaException, the base of the exception per error kind of the core (generated, in
// ErrorKinds.cs), the records those list, and the exceptions of the C ABI's own statuses.
// Messages come from the core, which never puts a secret or a token in them. Serializable (an
// exception crossing an AppDomain or remoting boundary on .NET Framework), properties included.
using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.Serialization;

namespace Dga.EPayment
{
    /// <summary>One problem with one field, by the guide's name (or <c>body</c>).</summary>
    [Serializable]
    public sealed class DgaFieldError
    {
        internal DgaFieldError(JsonNode n) => Wire.Fill(this, n.ToJson(), "FieldError");

        /// <summary>The guide's field name (<c>customerID</c>, <c>paidStatus</c>), or <c>body</c>.</summary>
        public string Field { get; private set; }

        /// <summary>What is wrong, worded to follow the field name.</summary>
        public string Message { get; private set; }

        /// <summary>For a JSON syntax error in a callback body: the line (1-based).</summary>
        public int? Line { get; private set; }

        /// <summary>For a JSON syntax error: the byte column on that line (0 when nothing was read).</summary>
        public int? Column { get; private set; }

        /// <inheritdoc />
        public override string ToString() => Field + " " + Message;
    }

    /// <summary>A field on which a callback and DGA's own status disagree.</summary>
    [Serializable]
    public sealed class DgaMismatch
    {
        internal DgaMismatch(JsonNode n)
        {
            Field = n.GetString("field");
            CallbackValue = n.GetString("callback");
            DgaValue = n.GetString("dga");
        }

        /// <summary>The guide's field name (<c>amount</c>, <c>paidStatus</c>, …).</summary>
        public string Field { get; private set; }

        /// <summary>The value in the callback.</summary>
        public string CallbackValue { get; private set; }

        /// <summary>The value DGA's status gave.</summary>
        public string DgaValue { get; private set; }
    }

    /// <summary>Every failure of the SDK. Catch a subclass to handle one kind.</summary>
    [Serializable]
    public class DgaException : Exception
    {
        internal DgaException(DgaErrorKind kind, string message)
            : base(message)
        {
            Kind = kind;
        }

        /// <summary>Deserializes one, its properties included (<see cref="Kind"/>, a subclass's references, …).</summary>
        protected DgaException(SerializationInfo info, StreamingContext context)
            : base(info, context)
        {
            foreach (var p in Own(GetType())) p.SetValue(this, info.GetValue("Dga." + p.Name, p.PropertyType), null);
        }

        /// <summary>Serializes it with its properties.</summary>
        public override void GetObjectData(SerializationInfo info, StreamingContext context)
        {
            base.GetObjectData(info, context);
            foreach (var p in Own(GetType())) info.AddValue("Dga." + p.Name, p.GetValue(this, null), p.PropertyType);
        }

        // The properties of this class and its subclasses (those with a setter, each set once when built).
        private static IEnumerable<PropertyInfo> Own(Type t)
        {
            for (; t != typeof(Exception); t = t.BaseType)
            {
                foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                {
                    if (p.GetSetMethod(true) != null) yield return p;
                }
            }
        }

        /// <summary>The kind of failure.</summary>
        public DgaErrorKind Kind { get; private set; }

        /// <summary>The call that failed (<c>token</c>, <c>create</c>, <c>close</c>, <c>void</c>, <c>status</c>), or null.</summary>
        public string Endpoint { get; private set; }

        /// <summary>Whether repeating the call later may succeed, as the core says (never for an outcome unknown).</summary>
        public bool IsTransient { get; internal set; }
    }

    /// <summary>A bug in the native library (it caught a panic). Please report it.</summary>
    [Serializable]
    public class DgaInternalException : DgaException
    {
        internal DgaInternalException(string message) : base(DgaErrorKind.Internal, message) { }

        /// <summary>Deserializes one.</summary>
        protected DgaInternalException(SerializationInfo info, StreamingContext context) : base(info, context) { }
    }

    /// <summary>The native library refused an argument (malformed JSON, invalid UTF-8): the caller's bug.</summary>
    [Serializable]
    public class DgaArgumentException : ArgumentException
    {
        internal DgaArgumentException(string message, string paramName = null, Exception inner = null) : base(message, paramName, inner) { }

        /// <summary>Deserializes one.</summary>
        protected DgaArgumentException(SerializationInfo info, StreamingContext context) : base(info, context) { }

        /// <summary>Always <see cref="DgaErrorKind.InvalidArgument"/>.</summary>
        public DgaErrorKind Kind => DgaErrorKind.InvalidArgument;
    }
}
