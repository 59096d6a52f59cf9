namespace LightNet;

/// <summary>
/// The one exception type LightNet's public API throws for bad input or an unusable environment.
/// <see cref="Code"/> says what kind of problem it is; the message names the file, node, operator or
/// shape at fault.
/// </summary>
public sealed class LightNetException : Exception
{
    /// <summary>Creates an exception with a code and a message that names what is wrong.</summary>
    /// <param name="code">The public error code.</param>
    /// <param name="message">What is wrong, naming the file, node, operator or shape at fault.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public LightNetException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The public error code: branch on this, not on the message.</summary>
    public ErrorCode Code { get; }

    /// <inheritdoc />
    public override string ToString() => $"LightNetException [{Code}]: {base.ToString()}";
}
